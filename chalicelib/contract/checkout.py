"""Points at checkout: the quote, the purchase (earning), the redemption (spending at checkout),
the refund, and points exchanged for a coupon (积分兑换)."""

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
)

from ..domain.bounds import Instant
from ..domain.earning import Earning
from ..domain.outcomes import (
    CouponExchanged,
    PointsRedeemed,
    PurchaseRecorded,
    Quote,
    RefundRecorded,
)
from .common import MAX_AMOUNT, Amount, Currency, ItemIn, OrderId, Request, Response
from .coupons import (
    CouponOut,
    CouponQuoteOut,
    SkippedCouponOut,
    coupon_out,
    coupon_quote_out,
    skipped_out,
)
from .members import MemberOut, TierChangeOut, member_out, tier_change_out


class Basket(Request):
    amount: Amount
    currency: Currency
    items: list[ItemIn] = Field(default_factory=list, max_length=500)
    occurred_at: Instant | None = Field(None, description="default: now")

    @field_validator("items")
    @classmethod
    def _items_add_up(cls, items: list[ItemIn], info: ValidationInfo) -> list[ItemIn]:
        amount = info.data.get("amount")
        if items and amount is not None and sum(item.amount for item in items) != amount:
            raise ValueError("items must add up to amount (send shipping or fees as items)")
        return items


class QuoteRequest(Basket):
    pass


class PurchaseRequest(Basket):
    order_id: OrderId
    amount: int = Field(
        le=MAX_AMOUNT,
        json_schema_extra={"minimum": 1},
        description="minor units (cents/分), at least 1: an order of 0 (paid in full by coupons "
        "or points, a free gift) is not a purchase and is refused, since it would earn nothing "
        "yet count as an order in the figures, the tiers by orders and RFM",
    )

    @field_validator("amount")
    @classmethod
    def _an_order(cls, amount: int) -> int:
        if amount < 1:
            raise ValueError(
                "must be at least 1 (minor units): an order of 0 earns nothing and is not "
                "recorded as a purchase"
            )
        return amount


class EarnLineOut(Response):
    rule: Literal[
        "base",
        "sku_bonus",
        "category_bonus",
        "campaign",
        "tier_multiplier",
        "rounding",
        "cap",
        "daily_cap",
    ]
    description: str
    points: int = Field(
        description="whole points this line added; the lines add up to points_earned exactly"
    )
    points_exact: str = Field(
        description="the exact contribution as a decimal string (rules work in fractions of a "
        "point until the one rounding line)"
    )


class QuoteOut(Response):
    points_earned: int
    breakdown: list[EarnLineOut]
    program_version: int
    points_redeemable: int = Field(description="spendable points usable on this basket")
    redeemable_discount: int = Field(description="what those points would take off, minor units")
    coupons: list[CouponQuoteOut] = Field(
        default_factory=list, description="the member's usable coupons and what each takes off"
    )


class PurchaseOut(Response):
    order_id: str
    points_earned: int
    points_status: Literal["pending", "vested", "none"]
    vests_at: datetime | None
    expires_at: datetime | None = Field(description="the instant the points stop being spendable")
    expires_on: date | None = Field(description="their last spendable day, brand time zone")
    breakdown: list[EarnLineOut]
    program_version: int
    member: MemberOut
    growth_earned: int = 0
    tier_changed: TierChangeOut | None = Field(
        None,
        description="set when this purchase raised the tier (its multiplier applies from "
        "the next purchase)",
    )
    coupons_issued: list[CouponOut] = Field(default_factory=list)
    coupons_skipped: list[SkippedCouponOut] = Field(default_factory=list)
    referral_points: int = Field(
        0, description="the friend's referral reward, on a referred member's first purchase"
    )


class RedemptionRequest(Request):
    order_id: OrderId
    points: int = Field(gt=0, le=10**9)


class RedemptionOut(Response):
    order_id: str
    points_redeemed: int
    discount_amount: int
    currency: str
    member: MemberOut


class RefundRequest(Request):
    order_id: OrderId
    amount: int = Field(gt=0, le=MAX_AMOUNT, description="minor units refunded now")
    refund_id: OrderId | None = Field(
        None, description="your id for this refund; a retry with it changes nothing"
    )


class RefundOut(Response):
    order_id: str
    refund_amount: int
    refunded_total: int
    points_clawed_back: int
    points_returned: int = Field(description="points redeemed on the order given back")
    member: MemberOut
    coupons_returned: list[str] = Field(
        default_factory=list, description="codes given back (templates with return_on_refund)"
    )
    referral_points_taken_back: int = Field(
        0, description="the referral reward of a first purchase refunded within its window"
    )


class ExchangeRequest(Request):
    template_id: str = Field(min_length=1, max_length=32)
    exchange_id: OrderId | None = Field(None, description="your id; a retry with it is a no-op")


class ExchangeOut(Response):
    points_spent: int
    coupon: CouponOut
    member: MemberOut


# -- presenters --------------------------------------------------------------------------------


def _exact(value: Fraction) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return format(exact.quantize(Decimal("0.0001")).normalize(), "f")


def earn_lines(earning: Earning) -> list[EarnLineOut]:
    return [
        EarnLineOut(
            rule=line.rule,
            description=line.description,
            points=whole,
            points_exact=_exact(line.points),
        )
        for line, whole in zip(earning.lines, earning.whole_lines(), strict=True)
    ]


def quote_out(quote: Quote) -> QuoteOut:
    return QuoteOut(
        points_earned=quote.earning.points,
        breakdown=earn_lines(quote.earning),
        program_version=quote.program_version,
        points_redeemable=quote.points_redeemable,
        redeemable_discount=quote.redeemable_discount,
        coupons=[coupon_quote_out(q) for q in quote.coupons],
    )


def purchase_out(done: PurchaseRecorded) -> PurchaseOut:
    p, now = done.purchased, done.seen.now
    earned = p.status != "none"
    return PurchaseOut(
        order_id=done.order_id,
        points_earned=p.earning.points,
        points_status=p.status,
        vests_at=p.terms.vests_at if p.status == "pending" else None,
        expires_at=p.terms.expires_at if earned else None,
        expires_on=p.terms.last_day if earned else None,
        breakdown=earn_lines(p.earning),
        program_version=done.program_version,
        member=member_out(done.seen),
        growth_earned=p.growth,
        tier_changed=tier_change_out(p.reached),
        coupons_issued=[coupon_out(coupon, now) for coupon in done.issued],
        coupons_skipped=skipped_out(done.skipped),
        referral_points=done.referral_points,
    )


def redemption_out(done: PointsRedeemed) -> RedemptionOut:
    return RedemptionOut(
        order_id=done.order_id,
        points_redeemed=done.points,
        discount_amount=done.discount,
        currency=done.currency,
        member=member_out(done.seen),
    )


def refund_out(done: RefundRecorded) -> RefundOut:
    r = done.refunded
    return RefundOut(
        order_id=done.order_id,
        refund_amount=done.amount,
        refunded_total=r.plan.refunded_after,
        points_clawed_back=r.plan.clawback,
        points_returned=r.returned,
        member=member_out(done.seen),
        coupons_returned=done.coupons_returned,
        referral_points_taken_back=r.referral_taken,
    )


def exchange_out(done: CouponExchanged) -> ExchangeOut:
    return ExchangeOut(
        points_spent=done.points_spent,
        coupon=coupon_out(done.coupon, done.seen.now),
        member=member_out(done.seen),
    )
