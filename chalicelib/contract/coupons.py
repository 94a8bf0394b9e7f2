"""Coupons: a member's coupons, redeeming and releasing them at checkout, issuing and claiming
(抢券), the templates."""

from datetime import datetime
from typing import Literal

from pydantic import (
    Field,
)

from ..domain.coupons import Coupon, CouponTemplate, TemplateRecord
from ..domain.outcomes import CouponIssued, CouponQuote, CouponReleased, CouponsHeld, CouponUsed
from .common import Amount, Currency, ItemIn, OrderId, Request, Response


class CouponOut(Response):
    code: str
    template_id: str
    name: str
    kind: Literal["fixed", "percent", "free_shipping"]
    status: Literal["usable", "used", "expired"]
    amount_off: int | None
    percent_off: int | None
    max_discount: int | None
    min_spend: int
    categories: list[str]
    skus: list[str]
    stackable: bool
    valid_from: datetime
    valid_until: datetime
    source: str
    order_id: str | None = Field(description="the order it was used on")


class SkippedCouponOut(Response):
    template_id: str
    reason: str = Field(description="why a rule's coupon was not issued (the write went on)")


class CouponQuoteOut(Response):
    code: str
    name: str
    applies: bool
    reason: str
    discount_amount: int
    free_shipping: bool
    stackable: bool


class CouponList(Response):
    usable: list[CouponOut]
    used: list[CouponOut]
    expired: list[CouponOut]


class CouponRedeemRequest(Request):
    order_id: OrderId
    amount: Amount | None = Field(None, description="the basket, to check the coupon applies")
    currency: Currency | None = None
    items: list[ItemIn] = Field(default_factory=list, max_length=500)


class CouponRedeemOut(Response):
    order_id: str
    coupon: CouponOut
    discount_amount: int | None = Field(description="when the basket was sent")
    free_shipping: bool


class CouponReleaseRequest(Request):
    order_id: OrderId


class CouponReleaseOut(Response):
    order_id: str
    coupon: CouponOut


class IssueRequest(Request):
    member_id: str = Field(min_length=1, max_length=64)
    issue_id: OrderId | None = Field(None, description="your id; a retry with it is a no-op")


class ClaimRequest(Request):
    """抢券: a member takes one coupon of a claimable template (send an Idempotency-Key)."""

    template_id: str = Field(min_length=1, max_length=32)


class IssueOut(Response):
    coupon: CouponOut


class TemplateOut(CouponTemplate):
    """The template as stored, with how many were issued and its version."""

    issued: int = Field(
        description="coupons issued: of a stocked template, its stock less what is left; "
        "otherwise as the stream consumer counted them (a second or so behind)"
    )
    version: int


class TemplateList(Response):
    templates: list[TemplateOut]


# -- presenters --------------------------------------------------------------------------------


def coupon_out(coupon: Coupon, now: datetime) -> CouponOut:
    t = coupon.template
    return CouponOut(
        code=coupon.code,
        template_id=t.template_id,
        name=t.name,
        kind=t.kind,
        status=coupon.state(now),
        amount_off=t.amount_off,
        percent_off=t.percent_off,
        max_discount=t.max_discount,
        min_spend=t.min_spend,
        categories=t.categories,
        skus=t.skus,
        stackable=t.stackable,
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
        source=coupon.source,
        order_id=coupon.order_id,
    )


def skipped_out(skip: dict[str, str]) -> list[SkippedCouponOut]:
    return [SkippedCouponOut(template_id=t, reason=r) for t, r in sorted(skip.items())]


def coupon_list(held: CouponsHeld) -> CouponList:
    grouped: dict[str, list[CouponOut]] = {"usable": [], "used": [], "expired": []}
    for coupon in held.coupons:
        grouped[coupon.state(held.now)].append(coupon_out(coupon, held.now))
    return CouponList(**grouped)


def redeem_out(used: CouponUsed) -> CouponRedeemOut:
    return CouponRedeemOut(
        order_id=used.order_id,
        coupon=coupon_out(used.coupon, used.now),
        discount_amount=used.discount,
        free_shipping=used.coupon.template.kind == "free_shipping",
    )


def release_out(released: CouponReleased) -> CouponReleaseOut:
    return CouponReleaseOut(
        order_id=released.order_id, coupon=coupon_out(released.coupon, released.now)
    )


def issue_out(issued: CouponIssued) -> IssueOut:
    return IssueOut(coupon=coupon_out(issued.coupon, issued.now))


def template_out(counted: tuple[TemplateRecord, int]) -> TemplateOut:
    """A template and how many it issued: the store's count (stock less what its slices hold,
    or the stream's count)."""
    record, issued = counted
    return TemplateOut(**record.template.model_dump(), issued=issued, version=record.version)


def templates_out(found: list[tuple[TemplateRecord, int]]) -> TemplateList:
    return TemplateList(templates=[template_out(counted) for counted in found])


def coupon_quote_out(quote: CouponQuote) -> CouponQuoteOut:
    return CouponQuoteOut(
        code=quote.code,
        name=quote.name,
        applies=quote.applies,
        reason=quote.reason,
        discount_amount=quote.discount_amount,
        free_shipping=quote.free_shipping,
        stackable=quote.stackable,
    )
