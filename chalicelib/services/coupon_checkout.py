"""A member's coupons at checkout: list them, use one on an order exactly once, give it back
when the order is cancelled. Every refusal of a code is the same answer, and counted."""

from __future__ import annotations

from ..contract.coupons import (
    CouponList,
    CouponOut,
    CouponRedeemOut,
    CouponRedeemRequest,
    CouponReleaseRequest,
)
from ..domain.coupons import applicability
from ..domain.errors import CouponOutOfStock, ValidationFailed
from ..domain.guards import Rule, WriteRejected
from .deps import Deps
from .shared import issuance, refusals
from .shared.baskets import basket
from .shared.presenters import coupon_out
from .shared.writes import Answer, Idem, run_write, stage_answer


def list_coupons(deps: Deps, member_id: str) -> CouponList:
    deps.members.member(member_id)
    now = deps.clock()
    grouped: dict[str, list[CouponOut]] = {"usable": [], "used": [], "expired": []}
    for coupon in sorted(deps.coupons.coupons(member_id), key=lambda c: c.valid_until):
        grouped[coupon.state(now)].append(coupon_out(coupon, now))
    return CouponList(**grouped)


def redeem(
    deps: Deps,
    member_id: str,
    raw_code: str,
    request: CouponRedeemRequest,
    principal: str,
    idem: Idem | None,
) -> Answer:
    """Use a coupon on an order, exactly once: issued → redeemed under a condition."""
    now = deps.clock()
    code = refusals.admit(deps, raw_code, principal, now)
    cart = None
    if request.amount is not None:
        if request.currency is None:
            raise ValidationFailed("currency goes with amount", param="currency")
        program = deps.programs.require()
        cart = basket(program, request.amount, request.currency, request.items, now)

    def attempt() -> Answer:
        now = deps.clock()
        coupon = deps.coupons.coupon(member_id, code)
        claim = None
        if coupon is None:  # a brand's shared code is claimed by the member who uses it
            template_id = deps.coupons.template_for_shared_code(code)
            record = deps.coupons.template(template_id) if template_id else None
            if record is None:
                raise refusals.refuse(deps, principal, now)
            coupon = claim = issuance.new_coupon(
                member_id, record.template, now, "shared_code", code
            )
        if coupon.redeemed_on(request.order_id) and coupon.answer:
            return Answer(coupon.answer, created=True, replayed=True)
        if not coupon.usable_at(now):
            raise refusals.refuse(deps, principal, now)
        applies = applicability(coupon.template, cart) if cart else None
        if applies is not None and not applies.applies:
            raise refusals.refuse(deps, principal, now)
        on_order = deps.coupons.order_coupons(member_id, request.order_id)
        if not on_order.admits(coupon.template):
            raise refusals.refuse(deps, principal, now)
        coupon.redeem(request.order_id, now)
        body = CouponRedeemOut(
            order_id=request.order_id,
            coupon=coupon_out(coupon, now),
            discount_amount=applies.discount if applies else None,
            free_shipping=coupon.template.kind == "free_shipping",
        ).model_dump_json()
        coupon.answer = body
        uow = deps.uow()
        if claim is not None:
            try:
                issuance.reserve(deps, uow, claim.template)
            except CouponOutOfStock as exc:
                raise refusals.refuse(deps, principal, now) from exc
            deps.coupons.stage_issue(uow, claim, limit=claim.template.per_member_limit)
        else:
            deps.coupons.stage_coupon_state(uow, coupon, expected_status="issued")
        after = on_order.adding(code, coupon.template)
        deps.coupons.stage_order_coupons(uow, member_id, on_order, after)
        answer = stage_answer(deps, uow, idem, Answer(body, created=True))
        try:
            uow.commit()
        except WriteRejected as rejected:
            if rejected.broke(Rule.COUPON_STOCK) or rejected.broke(Rule.COUPON_LIMIT):
                raise refusals.refuse(deps, principal, now) from rejected
            raise  # someone else moved first: the next attempt sees what they did
        return answer

    return run_write(deps, idem, attempt)


def release(
    deps: Deps,
    member_id: str,
    raw_code: str,
    request: CouponReleaseRequest,
    principal: str,
    idem: Idem | None,
) -> Answer:
    """The order was cancelled: redeemed → issued, once."""
    code = refusals.admit(deps, raw_code, principal, deps.clock())

    def attempt() -> Answer:
        now = deps.clock()
        coupon = deps.coupons.coupon(member_id, code)
        if coupon is None:
            raise refusals.refuse(deps, principal, now)
        if coupon.released_from(request.order_id) and coupon.answer:
            return Answer(coupon.answer, replayed=True)
        if not coupon.redeemed_on(request.order_id):
            raise refusals.refuse(deps, principal, now)
        uow = deps.uow()
        on_order = deps.coupons.order_coupons(member_id, request.order_id)
        body = issuance.stage_release(deps, uow, coupon, now)
        if on_order.exists:
            deps.coupons.stage_order_coupons(uow, member_id, on_order, on_order.without([code]))
        answer = stage_answer(deps, uow, idem, Answer(body))
        uow.commit()
        return answer

    return run_write(deps, idem, attempt)
