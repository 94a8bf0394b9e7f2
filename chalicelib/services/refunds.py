"""Refunding all or part of an order: claw back what the refunded part earned, give back the
points redeemed on it (to the lots they came from), and a used coupon where its template says."""

from __future__ import annotations

from datetime import datetime

from msgspec.structs import replace

from ..contract.checkout import RefundOut, RefundRequest
from ..domain import rfm
from ..domain.errors import OrderNotFound
from ..domain.money import money
from ..domain.points import plan_refund, proportional
from ..domain.risk import REFUNDS_AFTER_REDEEM
from ..store.unit_of_work import UnitOfWork
from .deps import Deps
from .shared import issuance, referrals, tiers
from .shared.presenters import member_out
from .shared.risk import stage_member_velocity
from .shared.writes import Answer, Idem, replay, request_hash, run_write, stage_answer


def refund(deps: Deps, member_id: str, request: RefundRequest, idem: Idem | None) -> Answer:
    program = deps.programs.require()
    fingerprint = request_hash("refund", request.model_dump(mode="json"))
    once_key = f"{request.order_id}#{request.refund_id}"

    def recorded_refund() -> Answer | None:
        if request.refund_id is None:
            return None
        found = deps.once.get(member_id, "refund", once_key)
        if found is None:
            return None
        return replay(found[0], found[1], True, fingerprint, "refund_id")

    def attempt() -> Answer:
        first = recorded_refund()
        if first is not None:
            return first
        order, redemption = deps.orders.order_and_redemption(member_id, request.order_id)
        now = deps.clock()
        member, account = deps.members.load_account(member_id, now, spend=True)
        if order is None:
            raise OrderNotFound(
                f"member {member_id} has no purchase {request.order_id}", param="order_id"
            )
        # A lot spent to nothing was deleted; points given back to it restore it, with the
        # terms the redemption kept (its expiry above all).
        for lot in (redemption.lots if redemption else {}).values():
            account.restore(lot)
        plan = plan_refund(
            order_amount=order.amount,
            refunded_before=order.refunded_amount,
            refund_amount=request.amount,
            points_earned=order.points_earned,
            clawed_before=order.points_clawed_back,
            redeemed=redemption.allocations if redemption else [],
            expiry_of=lambda lot_id: account.lots[lot_id].expires_at,
            currency=order.currency,
        )
        what = f"refund of {money(request.amount, order.currency)} on order {request.order_id}"
        account.claw_back(
            plan.clawback,
            request.order_id,
            order.lot_id,
            reason=f"{what}: {plan.clawback} points clawed back",
        )
        returned = sum(n for _, n in plan.returns)
        account.give_back(
            plan.returns,
            request.order_id,
            reason=f"{what}: {returned} redeemed points given back with their original expiry",
        )
        fully_refunded = plan.refunded_after == order.amount
        growth_back = (
            proportional(order.growth_earned, plan.refunded_after, order.amount)
            - order.growth_clawed_back
        )
        tiers.on_refund(
            program,
            member,
            occurred=order.occurred_at,
            now=now,
            amount=request.amount,
            order_fully_refunded=fully_refunded,
            growth=growth_back,
        )
        member.rfm_weeks = rfm.record(
            member.rfm_weeks,
            order.occurred_at.astimezone(program.zone).date(),
            orders=-1 if fully_refunded else 0,
            amount=-request.amount,
            today=now.astimezone(program.zone).date(),
            window_days=program.rfm.window_days,
        )
        uow = deps.uow()
        returned_codes = (
            _return_coupons(deps, uow, member_id, request.order_id, now) if fully_refunded else []
        )
        referral_taken = referrals.stage_refund(
            deps,
            program,
            member,
            account,
            request.order_id,
            order.amount,
            plan.refunded_after,
            now,
        )
        deps.members.stage_account(
            uow, member, account, zone=program.zone, now=now, new_id=lambda: deps.new_id(now)
        )
        if redemption is not None:  # paid with points, then refunded: a pattern worth counting
            stage_member_velocity(deps, uow, program, now, REFUNDS_AFTER_REDEEM, member_id)
        body = RefundOut(
            order_id=request.order_id,
            refund_amount=request.amount,
            refunded_total=plan.refunded_after,
            points_clawed_back=plan.clawback,
            points_returned=returned,
            member=member_out(member, program, now),
            coupons_returned=returned_codes,
            referral_points_taken_back=referral_taken,
        ).model_dump_json()
        deps.orders.stage_order_refund(
            uow,
            member_id,
            replace(
                order,
                refunded_amount=plan.refunded_after,
                points_clawed_back=order.points_clawed_back + plan.clawback,
                growth_clawed_back=order.growth_clawed_back + growth_back,
                refunded_at=now,
            ),
            refunded_before=order.refunded_amount,
        )
        if redemption is not None and plan.returns:
            back = dict(plan.returns)
            allocations = [
                (lot, taken, prev + back.get(lot, 0)) for lot, taken, prev in redemption.allocations
            ]
            deps.orders.stage_redemption(
                uow, member_id, replace(redemption, allocations=allocations), is_new=False
            )
        home = None
        if request.refund_id is not None:
            home = deps.once.stage(uow, member_id, "refund", once_key, fingerprint, body)
        answer = stage_answer(deps, uow, idem, Answer(body, created=True, home=home))
        uow.commit()
        return answer

    return run_write(deps, idem, attempt)


def _return_coupons(
    deps: Deps, uow: UnitOfWork, member_id: str, order_id: str, now: datetime
) -> list[str]:
    """A full refund gives back the coupons used on the order whose template says so."""
    on_order = deps.coupons.order_coupons(member_id, order_id)
    returned = []
    for code in on_order.codes:
        coupon = deps.coupons.coupon(member_id, code)
        if coupon and coupon.status == "redeemed" and coupon.template.return_on_refund:
            issuance.stage_release(deps, uow, coupon, now)
            returned.append(code)
    if returned:
        deps.coupons.stage_order_coupons(uow, member_id, on_order, on_order.without(returned))
    return returned
