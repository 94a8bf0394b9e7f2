"""Giving and taking back coupons inside another use case's transaction: the admin, the points
exchange, the rules (enrol, tier up, birthday, win-back), and releases on cancel or refund."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from ...domain.coupons import (
    CODE_BYTES,
    OUT_OF_STOCK,
    Coupon,
    CouponTemplate,
    code_from,
    skip_refused_rule_coupons,
)
from ...domain.errors import CouponOutOfStock
from ...domain.guards import WriteRejected
from ...domain.outcomes import CouponReleased
from ...store.coupons import CouponStore
from ...store.unit_of_work import UnitOfWork
from . import writes
from .writes import Answer, Idem, Present


class Needs(Protocol):
    coupons: CouponStore

    @property
    def draw(self) -> Callable[[], float]: ...
    @property
    def random_bytes(self) -> Callable[[int], bytes]: ...


def new_coupon(
    d: Needs,
    member_id: str,
    template: CouponTemplate,
    now: datetime,
    source: str,
    code: str | None = None,
) -> Coupon:
    """A coupon in memory: a brand's shared code, or 98 random bits."""
    code = code or template.shared_code or code_from(d.random_bytes(CODE_BYTES))
    return Coupon.issue(member_id, template, now, source, code)


def stage_issue(
    d: Needs,
    uow: UnitOfWork,
    member_id: str,
    template: CouponTemplate,
    now: datetime,
    source: str,
) -> Coupon:
    """Issue inside the caller's transaction: never past stock or the per-member limit. A unit
    of a stocked template is taken first, by a conditional write of its own to one slice of the
    stock (never below 0: no oversell), and given back if the transaction does not commit; the
    transaction itself holds the member's items only."""
    coupon = new_coupon(d, member_id, template, now, source)
    reserve(d, uow, template)
    d.coupons.stage_issue(uow, coupon, limit=template.per_member_limit)
    return coupon


def unissuable(d: Needs, template: CouponTemplate, now: datetime) -> str | None:
    """Why the template cannot issue now (ended, or its whole stock taken), or None: a read of
    its stock's slices for a stocked template, for who checks before a run of issues."""
    reason = template.unissuable(now)
    if reason is not None or template.total_stock is None:
        return reason
    if template.total_stock == 0:
        return OUT_OF_STOCK
    left = d.coupons.stock_left(template)
    if all(part is not None for part in left) and not sum(part or 0 for part in left):
        return OUT_OF_STOCK
    return None


def reserve(d: Needs, uow: UnitOfWork, template: CouponTemplate) -> None:
    """A unit of the template's stock for the write `uow` will send, or CouponOutOfStock."""
    if template.total_stock is None:
        return
    taken = d.coupons.reserve(template, d.draw)
    if taken is None and all(part is None for part in d.coupons.stock_left(template)):
        record = d.coupons.template(template.template_id)
        if record is not None:  # stocked before stock came in slices: sliced now, once
            d.coupons.slice_unsliced(record)
            taken = d.coupons.reserve(template, d.draw)
    if taken is None:
        raise CouponOutOfStock(
            f"template {template.template_id} is out of stock", param="template_id"
        )
    tid = template.template_id
    uow.on_cancel(lambda: d.coupons.give_back(tid, taken))


def stage_rule_coupon(
    d: Needs,
    uow: UnitOfWork,
    member_id: str,
    template_id: str | None,
    now: datetime,
    source: str,
    skip: dict[str, str],
) -> Coupon | None:
    """A coupon a rule gives (enroll, tier up): none, with the reason kept in `skip`, if the
    template is gone, cannot issue now, or was refused by stock or limit in an earlier attempt.
    A rule's coupon never blocks the write it rides in."""
    if template_id is None or template_id in skip:
        return None
    record = d.coupons.template(template_id)
    if record is None:
        skip[template_id] = "the template no longer exists"
        return None
    reason = record.template.unissuable(now)
    if reason is not None:
        skip[template_id] = reason
        return None
    try:
        return stage_issue(d, uow, member_id, record.template, now, source)
    except CouponOutOfStock:
        skip[template_id] = OUT_OF_STOCK
        return None


def stage_release(
    d: Needs, uow: UnitOfWork, coupon: Coupon, now: datetime, present: Present[CouponReleased]
) -> str:
    """Give a redeemed coupon back (order cancelled, or refunded when the template says so);
    the caller updates the order's coupon list once for all the coupons it gives back. The
    answer is kept on the coupon, so a retried release answers the same."""
    order_id = coupon.release(now)
    coupon.answer = present(CouponReleased(order_id, coupon, now))
    d.coupons.stage_coupon_state(uow, coupon, expected_status="redeemed")
    return coupon.answer


def commit_with_rule_coupons(
    d: writes.Needs, uow: UnitOfWork, idem: Idem | None, answer: Answer, skip: dict[str, str]
) -> Answer:
    """Keep `answer` and commit a write that staged rule coupons (enrol, tier up, check-in
    bonuses). A coupon its template refused now (out of stock, the member's limit) is marked
    in `skip` and the write goes up to be read again: `run_write` retries it without that
    coupon, and the answer says why it was skipped."""
    answer = writes.stage_answer(d, uow, idem, answer)
    try:
        uow.commit()
    except WriteRejected as rejected:
        skip_refused_rule_coupons(rejected, skip)
        raise
    return answer
