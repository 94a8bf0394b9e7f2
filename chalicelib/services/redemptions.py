"""Spending points as cash-off on an order: soonest-expiring first, one redemption per order."""

from __future__ import annotations

from ..contract.checkout import RedemptionOut, RedemptionRequest
from ..domain.earning import redemption_discount
from ..domain.errors import DomainError, OrderConflict, ValidationFailed
from ..domain.guards import Rule, WriteRejected
from ..domain.money import money
from ..domain.risk import REDEMPTIONS_PER_MEMBER
from ..store.orders import RedemptionRecord
from .deps import Deps
from .shared.limits import REDEMPTIONS, counted, refuse_when_reached, usage_today
from .shared.presenters import member_out
from .shared.risk import stage_member_velocity
from .shared.writes import Answer, Idem, request_hash, run_write, stage_answer


def redeem(deps: Deps, member_id: str, request: RedemptionRequest, idem: Idem | None) -> Answer:
    program = deps.programs.require()
    rate = program.redemption
    if request.points % rate.points:
        raise ValidationFailed(
            f"points must be a multiple of {rate.points} "
            f"({rate.points} points = {money(rate.amount, program.currency)})",
            param="points",
        )
    if request.points < rate.min_points:
        raise ValidationFailed(f"at least {rate.min_points} points per redemption", param="points")
    fingerprint = request_hash("redeem", request.model_dump(mode="json"))

    def existing_redemption() -> Answer | None:
        record = deps.orders.redemption(member_id, request.order_id)
        if record is None:
            return None
        if record.request_hash != fingerprint:
            raise OrderConflict(
                f"order {request.order_id} already has a points redemption of {record.points}",
                param="order_id",
            )
        return Answer(record.response, created=True, replayed=True)

    def attempt() -> Answer:
        now = deps.clock()
        today = now.astimezone(program.zone).date()
        used = usage_today(deps, program.limits, member_id, today, REDEMPTIONS)
        try:
            refuse_when_reached(program.limits, REDEMPTIONS, used)
        except DomainError:
            first = existing_redemption()  # a retry of one of today's redemptions
            if first is not None:
                return first
            raise
        member, account = deps.members.load_account(member_id, now, spend=True)
        discount = redemption_discount(request.points, program)
        try:
            allocations = account.redeem(
                request.points,
                request.order_id,
                reason=f"redeemed on order {request.order_id} for "
                f"{money(discount, program.currency)} off",
            )
        except DomainError:
            first = existing_redemption()  # a retry after the points were spent by this order
            if first is not None:
                return first
            raise
        uow = deps.uow()
        deps.members.stage_account(
            uow, member, account, zone=program.zone, now=now, new_id=lambda: deps.new_id(now)
        )
        deps.usage.stage(uow, member_id, today, program.zone, counted(program.limits, REDEMPTIONS))
        stage_member_velocity(deps, uow, program, now, REDEMPTIONS_PER_MEMBER, member_id)
        body = RedemptionOut(
            order_id=request.order_id,
            points_redeemed=request.points,
            discount_amount=discount,
            currency=program.currency,
            member=member_out(member, program, now),
        ).model_dump_json()
        deps.orders.stage_redemption(
            uow,
            member_id,
            RedemptionRecord(
                order_id=request.order_id,
                points=request.points,
                discount_amount=discount,
                allocations=[(lot_id, taken, 0) for lot_id, taken in allocations],
                request_hash=fingerprint,
                response=body,
                created_at=now,
                lots={lot_id: account.lots[lot_id] for lot_id, _ in allocations},
            ),
            is_new=True,
        )
        home = deps.orders.redemption_home(member_id, request.order_id)
        answer = stage_answer(deps, uow, idem, Answer(body, created=True, home=home))
        try:
            uow.commit()
        except WriteRejected as rejected:
            if (
                rejected.broke(Rule.REDEMPTION_IS_NEW)
                and not rejected.broke(Rule.IDEMPOTENCY_KEY_IS_NEW)
                and (first := existing_redemption()) is not None
            ):
                return first
            raise
        return answer

    return run_write(deps, idem, attempt)
