"""A member's coupons at checkout: list them, use one on an order exactly once, give it back
when the order is cancelled. Every refusal of a code is the same answer, and counted."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ..contract.coupons import CouponRedeemRequest, CouponReleaseRequest
from ..domain.coupons import Applicability, Coupon, OrderCoupons, applicability
from ..domain.earning import Basket, basket_for
from ..domain.errors import CouponOutOfStock, ValidationFailed
from ..domain.guards import Rule, WriteRejected
from ..domain.outcomes import CouponReleased, CouponsHeld, CouponUsed
from ..store.members import MemberStore
from ..store.program import ProgramCache
from ..store.unit_of_work import UnitOfWork
from .shared import issuance, refusals, writes
from .shared.writes import Answer, Idem, Present, run_write, stage_answer


class Needs(writes.Needs, issuance.Needs, refusals.Needs, Protocol):
    programs: ProgramCache
    members: MemberStore


def list_coupons(d: Needs, member_id: str) -> CouponsHeld:
    d.members.member(member_id)
    coupons = sorted(d.coupons.coupons(member_id), key=lambda c: c.valid_until)
    return CouponsHeld(coupons, d.clock())


def redeem(
    d: Needs,
    member_id: str,
    raw_code: str,
    request: CouponRedeemRequest,
    principal: str,
    idem: Idem | None,
    present: Present[CouponUsed],
) -> Answer:
    """Use a coupon on an order, exactly once: issued → redeemed under a condition."""
    now = d.clock()
    code = refusals.admit(d, raw_code, principal, now)
    cart = None
    if request.amount is not None:
        if request.currency is None:
            raise ValidationFailed("currency goes with amount", param="currency")
        program = d.programs.require()
        cart = basket_for(
            program, amount=request.amount, currency=request.currency, items=request.items, now=now
        )

    def attempt() -> Answer:
        now = d.clock()
        coupon, claim = _coupon_or_claim(d, member_id, code, principal, now)
        if coupon.redeemed_on(request.order_id) and coupon.answer:
            return Answer(coupon.answer, created=True, replayed=True)
        on_order = d.coupons.order_coupons(member_id, request.order_id)
        applies = _usable(d, coupon, cart, on_order, principal, now)
        coupon.redeem(request.order_id, now)
        discount = applies.discount if applies else None
        coupon.answer = present(CouponUsed(request.order_id, coupon, now, discount))
        uow = d.uow()
        _stage_use(d, uow, member_id, coupon, claim, principal, now)
        after = on_order.adding(coupon.code, coupon.template)
        d.coupons.stage_order_coupons(uow, member_id, on_order, after)
        answer = stage_answer(d, uow, idem, Answer(coupon.answer, created=True))
        try:
            uow.commit()
        except WriteRejected as rejected:
            if rejected.broke(Rule.COUPON_STOCK) or rejected.broke(Rule.COUPON_LIMIT):
                raise refusals.refuse(d, principal, now) from rejected
            raise  # someone else moved first: the next attempt sees what they did
        return answer

    return run_write(d, idem, attempt)


def _coupon_or_claim(
    d: Needs, member_id: str, code: str, principal: str, now: datetime
) -> tuple[Coupon, Coupon | None]:
    """The member's coupon of that code; or a brand's shared code, claimed by the member who
    uses it (the coupon, and the claim to write)."""
    coupon = d.coupons.coupon(member_id, code)
    if coupon is not None:
        return coupon, None
    template_id = d.coupons.template_for_shared_code(code)
    record = d.coupons.template(template_id) if template_id else None
    if record is None:
        raise refusals.refuse(d, principal, now)
    claim = issuance.new_coupon(d, member_id, record.template, now, "shared_code", code)
    return claim, claim


def _usable(
    d: Needs,
    coupon: Coupon,
    cart: Basket | None,
    on_order: OrderCoupons,
    principal: str,
    now: datetime,
) -> Applicability | None:
    """What the coupon takes off the basket (None: no basket sent), or the one refusal."""
    if not coupon.usable_at(now):
        raise refusals.refuse(d, principal, now)
    applies = applicability(coupon.template, cart) if cart else None
    if applies is not None and not applies.applies:
        raise refusals.refuse(d, principal, now)
    if not on_order.admits(coupon.template):
        raise refusals.refuse(d, principal, now)
    return applies


def _stage_use(
    d: Needs,
    uow: UnitOfWork,
    member_id: str,
    coupon: Coupon,
    claim: Coupon | None,
    principal: str,
    now: datetime,
) -> None:
    if claim is None:
        d.coupons.stage_coupon_state(uow, coupon, expected_status="issued")
        return
    try:
        issuance.reserve(d, uow, claim.template)
    except CouponOutOfStock as exc:
        raise refusals.refuse(d, principal, now) from exc
    d.coupons.stage_issue(uow, claim, limit=claim.template.per_member_limit)


def release(
    d: Needs,
    member_id: str,
    raw_code: str,
    request: CouponReleaseRequest,
    principal: str,
    idem: Idem | None,
    present: Present[CouponReleased],
) -> Answer:
    """The order was cancelled: redeemed → issued, once."""
    code = refusals.admit(d, raw_code, principal, d.clock())

    def attempt() -> Answer:
        now = d.clock()
        coupon = d.coupons.coupon(member_id, code)
        if coupon is None:
            raise refusals.refuse(d, principal, now)
        if coupon.released_from(request.order_id) and coupon.answer:
            return Answer(coupon.answer, replayed=True)
        if not coupon.redeemed_on(request.order_id):
            raise refusals.refuse(d, principal, now)
        uow = d.uow()
        on_order = d.coupons.order_coupons(member_id, request.order_id)
        body = issuance.stage_release(d, uow, coupon, now, present)
        if on_order.exists:
            d.coupons.stage_order_coupons(uow, member_id, on_order, on_order.without([code]))
        answer = stage_answer(d, uow, idem, Answer(body))
        uow.commit()
        return answer

    return run_write(d, idem, attempt)
