"""The v1 contract storefronts are promised: request and response bodies (pydantic).

Names here are the API: keep them; add fields freely. Every request refuses unknown fields, so a
client can never set points, tier or balances through a body (mass assignment).
"""

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyAddress,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .domain.bounds import Birthday, Day, Instant
from .domain.coupons import CouponTemplate
from .domain.profile import Attributes, AttributesPatch, Gender, Locale, Name, Tags
from .domain.segments import Rules, Segment
from .domain.wallet import EntryKind

MAX_AMOUNT = 10**12  # minor units; anything larger is a client bug, not a purchase
OPENID = re.compile(r"[A-Za-z0-9_-]{6,128}")
OpenId = Annotated[
    str,
    Field(
        min_length=6,
        max_length=128,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the id a WeChat or Alipay mini-program has for the person (OpenID)",
    ),
]
OrderId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:#/-]+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. CNY")]
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT, description="minor units (cents/分)")]


class Request(BaseModel):
    # strict: "12" is not the number 12; a storefront sending strings has a bug worth seeing.
    model_config = ConfigDict(
        extra="forbid", strict=True, str_strip_whitespace=True, defer_build=True
    )


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


# -- members ---------------------------------------------------------------------------------


class EnrollRequest(Request):
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)
    external_id: str | None = Field(None, min_length=1, max_length=128)
    openid: OpenId | None = None
    device_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="the storefront's device fingerprint: for risk signals and referrals, kept "
        "as a keyed fingerprint only",
    )
    referred_by: str | None = Field(
        None, min_length=1, max_length=16, description="a member's referral code (any case)"
    )
    client_ip: IPvAnyAddress | None = Field(
        None,
        description="the member's IP address as the storefront saw it (not the storefront's "
        "own): counted by network for risk signals, not stored",
    )
    birthday: Birthday | None = None
    marketing_consent: bool = False
    channel: str | None = Field(None, max_length=32, description="web, pos, miniprogram, ...")
    name: Name | None = Field(None, description="as the member gives it (personal data)")
    gender: Gender | None = None
    locale: Locale | None = None
    tags: Tags | None = Field(None, description="the merchant's labels: admin keys only")
    attributes: Attributes | None = None

    @model_validator(mode="after")
    def _some_identifier(self) -> "EnrollRequest":
        if not (self.phone or self.email or self.external_id or self.openid):
            raise ValueError("give at least one of phone, email, external_id or openid")
        return self


class ProfilePatch(Request):
    """Only what is sent changes (JSON Merge Patch, RFC 7396): a field set to null is cleared,
    an attribute set to null removed. Points, tiers and balances are never set here."""

    name: Name | None = None
    gender: Gender | None = None
    birthday: Birthday | None = Field(
        None, description="once set, changed only with an admin key (birthday gifts)"
    )
    locale: Locale | None = None
    tags: Tags | None = Field(None, description="replaces the tags: admin keys only")
    attributes: AttributesPatch | None = None
    marketing_consent: bool | None = Field(None, description="given (true) or withdrawn (false)")
    channel: str | None = Field(
        None, max_length=32, description="the channel this change comes through"
    )


class IdentityAdd(Request):
    kind: Literal["phone", "email", "external_id", "openid"]
    value: str = Field(min_length=1, max_length=254)

    @model_validator(mode="after")
    def _openid_shape(self) -> "IdentityAdd":
        if self.kind == "openid" and not OPENID.fullmatch(self.value):
            raise ValueError("an openid is 6 to 128 letters, digits, '_' or '-'")
        return self


class LookupRequest(Request):
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)
    external_id: str | None = Field(None, min_length=1, max_length=128)
    openid: OpenId | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> "LookupRequest":
        given = [v for v in (self.phone, self.email, self.external_id, self.openid) if v]
        if len(given) != 1:
            raise ValueError("give exactly one of phone, email, external_id or openid")
        return self


class TierProgressOut(Response):
    metric: Literal["spend", "orders", "growth"]
    value: int = Field(description="the metric so far in the current window")
    window_start: date
    window_end: date = Field(description="the last local day that counts (the 'by when')")
    next_tier: str | None
    missing: int = Field(description="what is still needed for next_tier by window_end")


class MemberOut(Response):
    member_id: str
    points_balance: int = Field(description="spendable (vested, unexpired) points")
    points_pending: int = Field(description="earned, vesting when the return window ends")
    points_debt: int = Field(description="clawed back beyond the balance; paid by later earnings")
    lifetime_points: int
    tier: str | None
    phone: str | None = Field(description="masked")
    email: str | None = Field(description="masked")
    external_id: str | None
    birthday: date | None
    marketing_consent: bool
    channel: str | None
    created_at: datetime
    updated_at: datetime
    growth_total: int = Field(0, description="成长值 earned in all (never expires)")
    tier_since: datetime | None = None
    tier_benefits: dict[str, Any] | None = None
    tier_progress: TierProgressOut | None = None
    last_active_at: datetime | None = Field(None, description="last purchase or activity")
    name: str | None = None
    gender: str | None = None
    locale: str | None = None
    tags: list[str] = Field(default_factory=list)
    attributes: dict[str, str] = Field(default_factory=dict)
    marketing_consent_at: datetime | None = Field(
        None, description="when marketing_consent was last given or withdrawn"
    )
    marketing_consent_channel: str | None = None
    identity_kinds: list[str] = Field(
        default_factory=list, description="which identities the member has: phone, email, ..."
    )
    referral_code: str | None = Field(None, description="the member's own, to share (邀请码)")
    lifecycle_state: Literal["active", "dormant", "churned"] = Field(
        "active",
        description="dormant once lifecycle.dormant_after_days pass without a purchase or "
        "activity, churned once lifecycle.churned_after_days pass",
    )


# -- checkout --------------------------------------------------------------------------------


class ItemIn(Request):
    sku: str | None = Field(None, min_length=1, max_length=64)
    category: str | None = Field(None, min_length=1, max_length=64)
    quantity: int = Field(1, ge=1, le=100_000)
    amount: Amount = Field(description="what was paid for this line, minor units")


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


class ReferralStatusOut(Response):
    status: Literal["waiting", "rewarded", "clawed_back", "refused"] = Field(
        description="waiting: both are rewarded at the friend's first purchase"
    )
    reason: (
        Literal[
            "referrals_off",
            "self_referral",
            "already_member",
            "same_device",
            "ring",
            "device_reused",
        ]
        | None
    ) = None


class EnrollOut(MemberOut):
    """The member; a new one also says which rule coupons it got (or not, and why)."""

    coupons_issued: list[CouponOut] = Field(default_factory=list)
    coupons_skipped: list[SkippedCouponOut] = Field(default_factory=list)
    referral: ReferralStatusOut | None = Field(
        None, description="what came of referred_by (the enrolment never fails for it)"
    )


class CouponQuoteOut(Response):
    code: str
    name: str
    applies: bool
    reason: str
    discount_amount: int
    free_shipping: bool
    stackable: bool


class QuoteOut(Response):
    points_earned: int
    breakdown: list[EarnLineOut]
    program_version: int
    points_redeemable: int = Field(description="spendable points usable on this basket")
    redeemable_discount: int = Field(description="what those points would take off, minor units")
    coupons: list[CouponQuoteOut] = Field(
        default_factory=list, description="the member's usable coupons and what each takes off"
    )


class TierChangeOut(Response):
    from_tier: str | None
    to_tier: str | None


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


# -- activities (growth value) ----------------------------------------------------------------


class ActivityRequest(Request):
    activity: str = Field(min_length=1, max_length=32, description="a key of growth.activities")
    activity_id: OrderId = Field(description="your id for this event; counted once")


class ActivityOut(Response):
    activity: str
    activity_id: str
    growth_earned: int
    tier_changed: TierChangeOut | None
    coupons_issued: list[CouponOut]
    member: MemberOut
    coupons_skipped: list[SkippedCouponOut] = Field(default_factory=list)


# -- check-in (签到) -------------------------------------------------------------------------


class CheckinRequest(Request):
    make_up: Day | None = Field(
        None,
        description="补签: a missed past day of this month, one of checkin.makeups_per_month; "
        "without it, today (brand-local)",
    )


class NextBonusOut(Response):
    day: int = Field(description="the streak length that earns it")
    in_days: int = Field(description="check-ins still needed")
    points: int
    coupon: str | None


class CheckinOut(Response):
    day: date = Field(description="the brand-local day checked in")
    makeup: bool
    points_earned: int = Field(description="day_points + bonus_points, after the daily limits")
    day_points: int
    bonus_points: int = Field(description="the streak bonuses this check-in reached")
    capped_by: str | None = Field(None, description="the limit that held points back")
    streak: int = Field(description="consecutive days checked in, this one included")
    next_bonus: NextBonusOut | None
    growth_earned: int
    tier_changed: TierChangeOut | None
    coupons_issued: list[CouponOut]
    coupons_skipped: list[SkippedCouponOut] = Field(default_factory=list)
    member: MemberOut


class CheckinDayOut(Response):
    day: date
    points: int
    bonus_points: int
    streak: int
    makeup: bool


class CheckinCalendarOut(Response):
    month: str
    days: list[CheckinDayOut]
    streak: int = Field(description="the current streak (0 once a day was missed)")
    checked_in_today: bool
    makeups_left: int = Field(description="make-ups (补签) left this month")
    next_bonus: NextBonusOut | None


# -- referrals (邀请) -----------------------------------------------------------------------


class FriendOut(Response):
    member_id: str
    enrolled_at: datetime
    status: Literal["waiting", "pending", "rewarded", "clawed_back"] = Field(
        description="waiting for a first purchase; pending until its return window ends; "
        "rewarded; clawed_back (the first purchase was refunded)"
    )
    order_id: str | None = Field(description="the first purchase")
    referrer_points: int = Field(description="what the referrer got for this friend")
    vests_at: datetime | None
    referrer_capped: bool = Field(description="the referrer's monthly limit held its reward back")


class ReferralsOut(Response):
    referral_code: str
    friends: list[FriendOut] = Field(description="newest first")
    rewarded_this_month: int
    max_rewards_per_month: int | None


# -- member merge (合并) ----------------------------------------------------------------------


class MergeRequest(Request):
    from_member_id: str = Field(
        pattern=r"^mem_[0-9A-Z]{26}$",
        description="the member merged away: it answers member_merged from then on",
    )


class MergeMovedOut(Response):
    identities: int = 0
    lots: int = Field(0, description="point lots, each with its own expiry and vesting kept")
    points: int = Field(0, description="vested points moved")
    pending: int = 0
    debt: int = 0
    lifetime_points: int = 0
    growth: int = Field(0, description="成长值")
    wallet_principal: int = Field(0, description="stored value paid in, moved (minor units)")
    wallet_bonus: int = Field(0, description="stored value given as top-up bonus, moved")
    records: int = Field(
        0, description="coupons, orders, redemptions, wallet payments, friends referred, ..."
    )


class MergeOut(Response):
    member: MemberOut = Field(description="the surviving member, as it is after the merge")
    from_member_id: str
    merged_at: datetime
    moved: MergeMovedOut
    kept_with_merged_member: list[str] = Field(
        default_factory=list,
        description="records left with the merged member: the survivor has one under the "
        "same key (e.g. an order id both members have); its ledger history stays readable "
        "at GET /v1/members/{from_member_id}/ledger",
    )


# -- risk signals (风控) ---------------------------------------------------------------------


class RiskQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True, populate_by_name=True)

    day_from: Day | None = Field(
        None, alias="from", description="brand-local day; default 6 days before `to`"
    )
    day_to: Day | None = Field(None, alias="to", description="brand-local day; default today")


class RiskSignalOut(Response):
    signal: str = Field(
        description="which count reached its threshold, e.g. redemptions_per_member"
    )
    subject: str = Field(description="a member id, device:<fingerprint prefix> or ip:<range>")
    threshold: int
    member_id: str = Field(description="the member whose write reached it")
    at: datetime


class RiskDayOut(Response):
    day: date
    counts: dict[str, int] = Field(description="signals reached that day, by kind")
    signals: list[RiskSignalOut]


class RiskSignalsOut(Response):
    first_day: date
    last_day: date
    thresholds: dict[str, int | None] = Field(description="the program's risk section")
    total: int
    days: list[RiskDayOut] = Field(description="newest first, every day of the range")


# -- coupons --------------------------------------------------------------------------------


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


class ExchangeRequest(Request):
    template_id: str = Field(min_length=1, max_length=32)
    exchange_id: OrderId | None = Field(None, description="your id; a retry with it is a no-op")


class ExchangeOut(Response):
    points_spent: int
    coupon: CouponOut
    member: MemberOut


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


# -- ledger ----------------------------------------------------------------------------------


class LedgerEntryOut(Response):
    entry_id: str
    kind: Literal[
        "earn",
        "checkin",
        "referral",
        "vest",
        "redeem",
        "exchange",
        "clawback",
        "redeem_return",
        "expire",
        "debt_repayment",
        "merge_out",
        "merge_in",
        "import",
    ] = Field(
        description="merge_out/merge_in: what a member merge moved (合并); import: an opening "
        "balance brought from another system (导入)"
    )
    points: int = Field(description="change of balance + pending - debt")
    balance_delta: int
    pending_delta: int
    debt_delta: int
    balance_after: int
    pending_after: int
    debt_after: int
    reason: str
    order_id: str | None
    created_at: datetime


class LedgerPage(Response):
    entries: list[LedgerEntryOut]
    next_cursor: str | None


# -- stored value (储值) --------------------------------------------------------------------

WalletAmount = Annotated[
    int, Field(gt=0, le=MAX_AMOUNT, description="minor units (cents/分), a whole number > 0")
]


class TopupRequest(Request):
    payment_id: OrderId = Field(description="your payment's id: a top-up is recorded once per id")
    amount: WalletAmount
    currency: Currency | None = Field(None, description="if sent, must be the wallet's")
    channel: str | None = Field(None, min_length=1, max_length=32)


class WalletPaymentRequest(Request):
    order_id: OrderId
    amount: WalletAmount
    currency: Currency | None = None


class WalletRefundRequest(Request):
    order_id: OrderId
    amount: WalletAmount
    refund_id: OrderId | None = Field(
        None, description="your id for this refund; a retry with it changes nothing"
    )
    currency: Currency | None = None


class WithdrawalRequest(Request):
    payment_id: OrderId = Field(description="the top-up whose unused principal is paid back")
    amount: WalletAmount = Field(description="principal paid back to the member")
    withdrawal_id: OrderId | None = Field(
        None, description="your id for this withdrawal; a retry with it changes nothing"
    )
    currency: Currency | None = None


class FreezeRequest(Request):
    reason: str = Field(min_length=1, max_length=200)


class BonusExpiryOut(Response):
    payment_id: str
    amount: int
    expires_on: date = Field(description="the last brand-local day it can be spent")


class WalletOut(Response):
    member_id: str
    balance: int = Field(description="principal + bonus, minor units")
    principal: int
    bonus: int
    currency: str
    frozen: bool
    frozen_reason: str | None = None
    bonus_expiring: list[BonusExpiryOut] = Field(
        default_factory=list, description="bonus money with a validity, soonest first"
    )


class TopupOut(Response):
    payment_id: str
    amount: int
    bonus: int
    bonus_rule: str | None = Field(description="the top-up rule that gave the bonus")
    bonus_reason: str = Field(description="why this bonus (or none), in words")
    bonus_expires_on: date | None
    wallet: WalletOut


class WalletPaymentOut(Response):
    order_id: str
    amount: int
    principal: int = Field(description="of the amount, principal spent")
    bonus: int = Field(description="of the amount, bonus spent")
    spend_order: str
    wallet: WalletOut


class WalletRefundOut(Response):
    order_id: str
    amount: int
    principal: int = Field(description="principal given back")
    bonus: int = Field(description="bonus given back (to the top-ups it came from)")
    bonus_expired: int = Field(description="of that bonus, expired since and so gone again")
    refunded_total: int
    wallet: WalletOut


class WithdrawalOut(Response):
    payment_id: str
    amount: int = Field(description="principal paid back to the member")
    bonus_taken_back: int = Field(description="that top-up's unspent bonus taken back")
    principal_kept: int = Field(
        description="principal kept for bonus money of that top-up already spent"
    )
    withdrawn_total: int
    withdrawable_now: int = Field(description="what a further withdrawal could pay back now")
    wallet: WalletOut


class WalletEntryOut(Response):
    seq: int
    kind: EntryKind
    amount: int = Field(description="change of the balance (principal + bonus)")
    principal_delta: int
    bonus_delta: int
    balance_after: int
    principal_after: int
    bonus_after: int
    reason: str
    reference: str | None = Field(
        description="the payment id (top-ups, withdrawals), the order id (payments, refunds), "
        "or the other member (merge_out, merge_in)"
    )
    channel: str | None = None
    created_at: datetime


class WalletEntryPage(Response):
    entries: list[WalletEntryOut]
    next_cursor: str | None


# -- the books ------------------------------------------------------------------------------


class MismatchOut(Response):
    check: str = Field(description="which rule of the books failed, e.g. points.ledger_adds_up")
    member_id: str | None = Field(description="None: the brand's running totals")
    expected: int
    actual: int
    detail: str = ""


class BookFigures(Response):
    """Sums over the members checked (minor units for money, whole points)."""

    points_balance: int = 0
    points_pending: int = 0
    points_debt: int = 0
    points_in_vested_lots: int = 0
    points_in_pending_lots: int = 0
    ledger_points: int = 0
    ledger_rows: int = 0
    wallet_principal: int = 0
    wallet_bonus: int = 0
    topped_up_principal: int = 0
    topped_up_bonus: int = 0
    paid_principal: int = 0
    paid_bonus: int = 0
    refunded_principal: int = 0
    refunded_bonus: int = 0
    withdrawn_principal: int = 0
    withdrawn_bonus: int = 0
    expired_bonus: int = 0
    wallet_entries: int = 0


class LiabilityOut(Response):
    as_of: datetime = Field(
        description="every change up to this moment is counted (the stream consumer keeps the "
        "totals a second or so behind the members)"
    )
    lag_seconds: float | None = Field(
        None, description="how far behind the request that is; null: nothing counted yet"
    )
    currency: str
    points_outstanding: int = Field(description="spendable points, all members")
    points_pending: int
    points_debt: int
    points_value: int = Field(
        description="points outstanding at the redemption rate, minor units (floor)"
    )
    wallet_principal: int
    wallet_bonus: int
    wallet_outstanding: int = Field(description="principal + bonus: stored value owed")


# -- the merchant's figures (数据看板) ---------------------------------------------------------


class KpiQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True, populate_by_name=True)

    day_from: Day | None = Field(
        None, alias="from", description="brand-local day; default 29 days before `to`"
    )
    day_to: Day | None = Field(None, alias="to", description="brand-local day; default today")
    grain: Literal["day", "week", "month"] = Field(
        "day", description="periods of the series: days, ISO weeks (from Monday), months"
    )


class SalesTotalsRequest(Request):
    day: Day = Field(description="the brand-local day the figures are of")
    orders: int = Field(ge=0, le=100_000_000, description="every order of the day, members' or not")
    amount: Amount = Field(description="their amount, minor units")
    currency: Currency


class SalesTotalsOut(Response):
    day: date
    orders: int
    amount: int
    currency: str
    reported_at: datetime = Field(description="when this report was recorded (the last one wins)")


class CouponFiguresOut(Response):
    issued: int
    redeemed: int
    released: int = Field(description="given back after use (an order cancelled or refunded)")


class KpiPeriodOut(Response):
    period_start: date = Field(description="first day of the period (within the range)")
    days: int = Field(description="days of the period within the range")
    active_ratio_7d: float | None = Field(
        None,
        description="7日活跃率 as the period's last day ended (kept by the nightly `figures` job; "
        "null before it ran)",
    )
    active_ratio_30d: float | None = None
    repurchase_rate_30d: float | None = Field(None, description="30日复购率, likewise")
    members_new: int = Field(description="新增会员: members enrolled")
    members_merged: int = Field(description="members merged into another (合并)")
    active: int = Field(
        description="活跃: members active (a purchase, a check-in, an activity), each counted "
        "once a day; at grain day, the day's active members"
    )
    purchasers: int = Field(description="members who bought, each counted once a day")
    repeat_purchasers: int = Field(
        description="复购: of them, members who had bought on an earlier day"
    )
    orders: int
    sales: int = Field(description="members' purchases, minor units")
    refunds: int
    refunded_amount: int
    net_sales: int = Field(description="sales − refunded amount")
    average_order_value: int | None = Field(description="客单价: sales ÷ orders, minor units")
    all_orders: int | None = Field(
        description="every order of the period, members' or not, as the storefront reported "
        "(POST /v1/admin/sales-totals); None where no day of the period was reported"
    )
    all_sales: int | None
    members_share_of_sales: float | None = Field(
        description="会员消费占比: members' sales ÷ all sales, over the days reported"
    )
    average_order_value_all: int | None = Field(description="客单价 of every order reported")
    tier_changes: int = Field(description="members whose tier changed (up or down)")
    points_issued: int = Field(description="earned by purchases, check-ins and referrals")
    points_earned: int
    points_checkin: int
    points_referral: int
    points_imported: int = Field(0, description="opening balances imported (导入)")
    points_vested: int = Field(description="pending points that became spendable")
    points_redeemed: int = Field(description="spent at checkout")
    points_exchanged: int = Field(description="spent on coupons (积分兑换)")
    points_returned: int = Field(description="spent points given back by refunds")
    points_clawed_back: int = Field(description="earned points taken back by refunds")
    points_expired: int
    points_debt_repaid: int
    coupons: dict[str, CouponFiguresOut] = Field(description="by template id")


class KpiWarningOut(Response):
    code: str = Field(description="e.g. active_ratio_7d_low")
    value: float
    threshold: float
    message: dict[str, str] = Field(description="en and zh")


class KpiNowOut(Response):
    members: int = Field(description="会员总数: members now (merged ones not counted)")
    active_7d: int = Field(description="members active in the last 7 brand-local days")
    active_30d: int
    active_ratio_7d: float | None = Field(description="7日活跃率: active_7d ÷ members")
    active_ratio_30d: float | None
    purchasers_30d: int = Field(description="members who bought in the last 30 days")
    repeat_purchasers_30d: int = Field(description="of them, who bought on two or more days")
    repurchase_rate_30d: float | None = Field(
        description="30日复购率: repeat_purchasers_30d ÷ purchasers_30d"
    )
    tiers: dict[str, int] = Field(description="members by tier; `-`: no tier")
    liability: LiabilityOut
    warnings: list[KpiWarningOut] = Field(
        description="the source articles' warning lines: 7-day active < 40%, 30-day repurchase "
        "< 25%"
    )


class KpisOut(Response):
    first_day: date
    last_day: date
    grain: Literal["day", "week", "month"]
    as_of: datetime = Field(
        description="every change up to this moment is counted (the stream consumer keeps "
        "the figures a second or so behind the members)"
    )
    periods: list[KpiPeriodOut] = Field(description="oldest first, every period of the range")
    totals: KpiPeriodOut = Field(description="the whole range")
    points_redemption_rate: float | None = Field(
        description="积分消耗率 over the range: points redeemed and exchanged ÷ points issued"
    )
    coupon_redemption_rate: float | None = Field(
        description="核销率 over the range: coupons redeemed ÷ issued, all templates"
    )
    now: KpiNowOut


class ReconciliationOut(Response):
    ok: bool
    scope: Literal["member", "brand"]
    members_checked: int
    figures: BookFigures
    mismatches: list[MismatchOut]
    totals: LiabilityOut | None = Field(
        None,
        description="the running totals, compared with the sum over members when the whole "
        "brand was checked in this call (a quiet moment: writes meanwhile move the totals)",
    )
    next_cursor: str | None = Field(None, description="more members to check: pass it back")


class ReconciliationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    member_id: str | None = Field(None, max_length=40)
    limit: int = Field(500, ge=1, le=2000, description="members per call (brand-wide)")
    cursor: str | None = Field(None, max_length=2000)


# -- events ----------------------------------------------------------------------------------


class EventOut(Response):
    """The envelope of every event, published and pulled alike (the Standard Webhooks payload
    convention): `data` holds ids, amounts, local dates and masked contact data only."""

    id: str = Field(description="derived from the event's cause: the same on every redelivery")
    type: str
    timestamp: datetime = Field(description="when the fact happened, UTC")
    brand: str
    member_id: str | None
    data: dict[str, Any]


class EventPage(Response):
    events: list[EventOut]
    next_cursor: str | None


class EventQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    type: str | None = Field(None, max_length=64)
    member_id: str | None = Field(None, max_length=64)
    created_from: date | None = Field(None, description="UTC day, default 30 days back")
    created_to: date | None = Field(None, description="UTC day, default today")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=128)


# -- nightly runs ----------------------------------------------------------------------------


class RunOut(Response):
    run_id: str
    job: str
    business_date: date = Field(description="the brand-local day the run did")
    dry_run: bool
    status: Literal["running", "finished", "stopped", "failed"] = Field(
        description="stopped: time ran out, and failed: the store failed (see errors); the "
        "next run goes on after the last page done"
    )
    pages: int
    counts: dict[str, int]
    errors: list[str]
    started_at: datetime
    finished_at: datetime | None


class RunPage(Response):
    runs: list[RunOut]
    next_cursor: str | None


class RunQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    job: str | None = Field(None, max_length=32)
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=128)


# -- webhooks --------------------------------------------------------------------------------


class WebhookCreate(Request):
    url: str = Field(
        max_length=2048,
        description="https:// (plain http only to this machine when trying locally); must not "
        "resolve to a loopback, link-local, metadata or private address",
    )
    events: list[str] = Field(
        min_length=1, max_length=64, description='event types to send, or ["*"] for every type'
    )
    description: str = Field("", max_length=500)


class WebhookUpdate(Request):
    url: str | None = Field(None, max_length=2048)
    events: list[str] | None = Field(None, min_length=1, max_length=64)
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = Field(None, description="false: no new deliveries; true: again")


class WebhookOut(Response):
    webhook_id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    old_secret_until: datetime | None = Field(
        description="after a rotation, the old secret signs beside the new one until then"
    )
    created_at: datetime
    updated_at: datetime


class WebhookSecretOut(WebhookOut):
    secret: str = Field(
        description="whsec_ + base64 of 32 random bytes; shown once (at create and rotation), "
        "give it to a Standard Webhooks library to verify deliveries"
    )


class WebhookList(Response):
    webhooks: list[WebhookOut]


class DeliveryOut(Response):
    delivery_id: str
    webhook_id: str
    event_id: str = Field(description="the webhook-id header of every attempt")
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int = Field(description="attempts made in this round (a redelivery starts one)")
    round: int
    last_code: int | None = Field(description="the receiver's last HTTP status, if any")
    last_reason: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DeliveryPage(Response):
    deliveries: list[DeliveryOut]
    next_cursor: str | None


class DeliveryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    status: Literal["pending", "delivered", "failed"] | None = None
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=128)


# -- opening balances (imports) -------------------------------------------------------------


class OpeningRequest(Request):
    """What a member brings from the brand's old system (导入): its points, until when they can
    be spent, and its tier. Once per member; the same request again gets the first answer."""

    points: int = Field(0, ge=0, le=100_000_000, description="the opening balance")
    expires_on: Day | None = Field(
        None,
        description="the last brand-local day the points can be spent; default: the program's "
        "expiry rule, as for points earned today",
    )
    tier: str | None = Field(None, min_length=1, max_length=40, description="the opening tier")
    source: str | None = Field(None, max_length=120, description="e.g. the file imported")


class OpeningOut(Response):
    member_id: str
    points: int
    expires_on: date | None
    tier: str | None
    member: MemberOut


# -- RFM and segments ------------------------------------------------------------------------


class RfmOut(Response):
    """The member's RFM (最近消费时间 / 消费频率 / 消费金额) over the brand's window, with its
    quintile scores and segment from the last nightly sample (none before the RFM job ran)."""

    window_days: int
    recency_days: int | None = Field(description="days since the last purchase; null: none")
    frequency: int = Field(description="orders in the window")
    monetary: int = Field(description="their amount net of refunds, minor units")
    r: int | None = Field(None, description="1-5 (5: most recent)")
    f: int | None = None
    m: int | None = None
    segment: str | None = Field(None, description="champions, loyal, at_risk, hibernating, ...")
    segment_name: dict[str, str] | None = Field(None, description="{en, zh}, for people")


class SegmentIn(Segment):
    """A segment: its id, name and rules (POST creates it, PUT replaces it)."""


class SegmentCountRequest(Request):
    """Rules to try before saving them, in the shape a segment holds them: `{"rules": …}`."""

    rules: Rules


class SegmentOut(Segment):
    version: int
    created_at: datetime
    updated_at: datetime


class SegmentList(Response):
    segments: list[SegmentOut]


class SegmentCountOut(Response):
    """A segment's size, estimated from the nightly RFM sample: the share of the sampled members
    it holds times the members there are. Exact (`whole_population_sampled`) when the brand is
    smaller than the sample."""

    segment_id: str | None
    members: int = Field(description="the estimate")
    matched_in_sample: int
    sampled: int
    population: int = Field(description="members when the sample was read")
    whole_population_sampled: bool
    sample_date: date


class CampaignRequest(Request):
    """Issue a coupon template to a segment's members, each once: a resumable run named by
    `campaign_id`. POST it again (same body) to go on where it stopped; it is done when
    `status` is no longer `running`."""

    campaign_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    template_id: str = Field(min_length=1, max_length=64)
    max_pages: int = Field(10, ge=1, le=100, description="pages of 200 members read by this call")


class CampaignOut(Response):
    campaign_id: str
    segment_id: str
    template_id: str
    status: Literal["running", "finished", "out_of_stock"]
    members_read: int
    matched: int = Field(description="members in the segment (its rules when the run began)")
    issued: int
    already_issued: int = Field(description="found with this campaign's coupon: not again")
    limit_reached: int = Field(description="members already holding the template's limit")
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class RfmCell(Response):
    r: int
    f: int
    members: int = Field(description="estimated")


class RfmSegmentCount(Response):
    segment: str
    name: dict[str, str]
    members: int = Field(description="estimated")


class RfmOverviewOut(Response):
    """The brand's RFM from the last nightly sample: the cut points, the recency x frequency
    grid (the dashboard's heat map) and the classic segments, as estimated members."""

    sample_date: date
    window_days: int
    population: int
    sampled: int
    buyers_sampled: int
    cuts: dict[str, list[int]] = Field(description="recency (days), frequency, monetary")
    grid: list[RfmCell]
    segments: list[RfmSegmentCount]


# -- errors ----------------------------------------------------------------------------------


class ErrorBody(Response):
    type: str
    code: str
    message: str
    param: str | None


class ErrorOut(Response):
    error: ErrorBody
