"""Recording a purchase: points earned exactly once per (member, order id), whatever the retries;
the tier raised at once, with its welcome coupon, in the same transaction."""

from __future__ import annotations

from ..contract.checkout import PurchaseOut, PurchaseRequest
from ..domain import kpis, rfm
from ..domain.earning import earn_points, within_daily_limit
from ..domain.errors import OrderConflict
from ..domain.expiry import lot_terms
from ..domain.guards import Rule, WriteRejected
from ..domain.money import money
from ..domain.points import Lot
from ..domain.tiers import growth_for
from ..store.orders import OrderRecord
from .deps import Deps
from .shared import issuance, lifecycle, referrals, tiers
from .shared.baskets import basket
from .shared.limits import EARNED, points_used, usage_today
from .shared.presenters import coupon_out, coupons_issued, earn_lines, member_out, skipped_out
from .shared.writes import Answer, Idem, request_hash, run_write, stage_answer


def purchase(deps: Deps, member_id: str, request: PurchaseRequest, idem: Idem | None) -> Answer:
    program = deps.programs.require()
    fingerprint = request_hash("purchase", request.model_dump(mode="json"))

    def existing_order() -> Answer:
        order = deps.orders.order(member_id, request.order_id)
        if order is None:
            raise OrderConflict("the order changed while recording it", param="order_id")
        if order.request_hash != fingerprint:
            raise OrderConflict(
                f"order {request.order_id} was already recorded with a different body",
                param="order_id",
            )
        return Answer(order.response, created=True, replayed=True)

    skip_coupons: dict[str, str] = {}

    def attempt() -> Answer:
        now = deps.clock()
        cart = basket(
            program, request.amount, request.currency, request.items, now, request.occurred_at
        )
        member, account = deps.members.load_account(member_id, now)
        # The tier the member has now sets the multiplier; a tier this purchase reaches applies
        # from the next purchase on.
        today = now.astimezone(program.zone).date()
        used = usage_today(deps, program.limits, member_id, today, EARNED)
        earning = within_daily_limit(
            earn_points(cart, program, member.tier),
            used.earned,
            program.limits.max_points_per_member_per_day,
        )
        terms = lot_terms(cart.occurred_at, program, now)
        lot_id = deps.new_id(now)
        account.earn(
            Lot(
                lot_id=lot_id,
                points=earning.points,
                remaining=earning.points,
                earned_at=cart.occurred_at,
                expires_at=terms.expires_at,
                vests_at=terms.vests_at,
                pending=False,
                order_id=request.order_id,
            ),
            reason=f"purchase {request.order_id}: earned {earning.points} points "
            f"on {money(request.amount, request.currency)} (program v{program.version})",
        )
        earned_lot = account.lots.get(lot_id)
        status = "none" if earned_lot is None else ("pending" if earned_lot.pending else "vested")
        growth = growth_for(request.amount, program.growth.per_unit, program.growth.unit_amount)
        change, welcome = tiers.on_purchase(
            program,
            member,
            occurred=cart.occurred_at,
            now=now,
            amount=request.amount,
            growth=growth,
        )
        lifecycle.engage(program, member, now)
        kpis.on_purchase(member, today.isoformat())
        member.rfm_weeks = rfm.record(
            member.rfm_weeks,
            cart.occurred_at.astimezone(program.zone).date(),
            orders=1,
            amount=request.amount,
            today=today,
            window_days=program.rfm.window_days,
        )
        uow = deps.uow()
        issued = issuance.stage_rule_coupon(
            deps, uow, member_id, welcome, now, "tier_up", skip_coupons
        )
        referral_points, referral_coupons = referrals.stage_first_purchase(
            deps,
            uow,
            program,
            member,
            account,
            request.order_id,
            request.amount,
            now,
            skip_coupons,
        )
        deps.members.stage_account(
            uow, member, account, zone=program.zone, now=now, new_id=lambda: deps.new_id(now)
        )
        deps.usage.stage(
            uow, member_id, today, program.zone, points_used(program.limits, earning.points)
        )
        body = PurchaseOut(
            order_id=request.order_id,
            points_earned=earning.points,
            points_status=status,
            vests_at=terms.vests_at if status == "pending" else None,
            expires_at=terms.expires_at if earned_lot else None,
            expires_on=terms.last_day if earned_lot else None,
            breakdown=earn_lines(earning),
            program_version=program.version or 0,
            member=member_out(member, program, now),
            growth_earned=growth,
            tier_changed=change,
            coupons_issued=coupons_issued(issued, now)
            + [coupon_out(coupon, now) for coupon in referral_coupons],
            coupons_skipped=skipped_out(skip_coupons),
            referral_points=referral_points,
        ).model_dump_json()
        deps.orders.stage_new_order(
            uow,
            member_id,
            OrderRecord(
                order_id=request.order_id,
                amount=request.amount,
                currency=request.currency,
                points_earned=earning.points,
                lot_id=lot_id if earned_lot else None,
                refunded_amount=0,
                points_clawed_back=0,
                program_version=program.version or 0,
                request_hash=fingerprint,
                response=body,
                occurred_at=cart.occurred_at,
                growth_earned=growth,
                recorded_at=now,
            ),
        )
        home = deps.orders.order_home(member_id, request.order_id)
        answer = stage_answer(deps, uow, idem, Answer(body, created=True, home=home))
        try:
            uow.commit()
        except WriteRejected as rejected:
            if rejected.broke(Rule.ORDER_IS_NEW) and not rejected.broke(
                Rule.IDEMPOTENCY_KEY_IS_NEW
            ):
                return existing_order()
            issuance.skip_refused_rule_coupons(rejected, skip_coupons)  # retry without it
            raise
        return answer

    return run_write(deps, idem, attempt)
