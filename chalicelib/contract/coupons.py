"""Coupons: a member's coupons, redeeming and releasing them at checkout, issuing and claiming
(抢券), the templates."""

from datetime import datetime
from typing import Literal

from pydantic import (
    Field,
)

from ..domain.coupons import CouponTemplate
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
