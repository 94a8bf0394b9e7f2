"""What each use case answers, as domain values: the contract's presenters (`contract/`) turn
them into the API's bodies, so no use case knows the wire format. A write hands its outcome to
the presenter its route gave it and keeps the JSON that comes back as its first answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from msgspec import Struct, field

from .books import Mismatch, Totals
from .checkin import CheckinDay
from .coupons import Coupon
from .earning import Earning
from .kpis import Figure, Grain, Period, Warning
from .members import Member
from .membership import Purchased, Reached, Refunded
from .points import LedgerRow
from .program import Program
from .referrals import Friend, Refusal
from .risk import Signal
from .wallet import Entry, Wallet
from .webhooks import Delivery

# -- members -----------------------------------------------------------------------------------


class MemberNow(Struct, frozen=True):
    """The member as of `now`, with the program that says its tier benefits and progress."""

    member: Member
    program: Program | None
    now: datetime


class ReferralOutcome(Struct, frozen=True):
    status: Literal["waiting", "rewarded", "clawed_back", "refused"]
    reason: Refusal | None = None


class Enrolled(Struct, frozen=True):
    seen: MemberNow
    issued: list[Coupon] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    referral: ReferralOutcome | None = None


# -- points at checkout ------------------------------------------------------------------------


class CouponQuote(Struct, frozen=True):
    code: str
    name: str
    applies: bool
    reason: str
    discount_amount: int
    free_shipping: bool
    stackable: bool


class Quote(Struct, frozen=True):
    earning: Earning
    program_version: int
    points_redeemable: int
    redeemable_discount: int
    coupons: list[CouponQuote]


class PurchaseRecorded(Struct, frozen=True):
    order_id: str
    purchased: Purchased
    program_version: int
    seen: MemberNow
    issued: list[Coupon]
    skipped: dict[str, str]
    referral_points: int


class PointsRedeemed(Struct, frozen=True):
    order_id: str
    points: int
    discount: int
    currency: str
    seen: MemberNow


class RefundRecorded(Struct, frozen=True):
    order_id: str
    amount: int
    refunded: Refunded
    seen: MemberNow
    coupons_returned: list[str]


class CouponExchanged(Struct, frozen=True):
    points_spent: int
    coupon: Coupon
    seen: MemberNow


class LedgerSlice(Struct, frozen=True):
    rows: list[LedgerRow]  # newest first
    next_cursor: str | None


# -- coupons -----------------------------------------------------------------------------------


class CouponsHeld(Struct, frozen=True):
    coupons: list[Coupon]  # soonest to end first
    now: datetime


class CouponUsed(Struct, frozen=True):
    order_id: str
    coupon: Coupon
    now: datetime
    discount: int | None  # when the basket was sent


class CouponReleased(Struct, frozen=True):
    order_id: str
    coupon: Coupon
    now: datetime


class CouponIssued(Struct, frozen=True):
    coupon: Coupon
    now: datetime


# -- engagement --------------------------------------------------------------------------------


class ActivityRecorded(Struct, frozen=True):
    activity: str
    activity_id: str
    growth: int
    reached: Reached
    issued: list[Coupon]
    skipped: dict[str, str]
    seen: MemberNow


class NextBonus(Struct, frozen=True):
    day: int  # the streak length that earns it
    in_days: int
    points: int
    coupon: str | None


class CheckedIn(Struct, frozen=True):
    day: date
    makeup: bool
    points: int
    day_points: int
    bonus_points: int
    capped_by: str | None
    streak: int
    next_bonus: NextBonus | None
    growth: int
    reached: Reached
    issued: list[Coupon]
    skipped: dict[str, str]
    seen: MemberNow


class CheckinMonth(Struct, frozen=True):
    month: str
    days: list[CheckinDay]
    streak: int
    checked_in_today: bool
    makeups_left: int
    next_bonus: NextBonus | None


class Friends(Struct, frozen=True):
    referral_code: str
    friends: list[Friend]  # newest first
    now: datetime
    rewarded_this_month: int
    max_rewards_per_month: int | None


class Merged(Struct, frozen=True):
    seen: MemberNow  # the survivor
    from_member_id: str
    merged_at: datetime
    moved: dict[str, int]
    kept: list[str]


class RiskDay(Struct, frozen=True):
    day: date
    signals: list[Signal]  # newest first


class RiskDays(Struct, frozen=True):
    first_day: date
    last_day: date
    thresholds: dict[str, int | None]
    days: list[RiskDay]  # newest first


class OpeningRecorded(Struct, frozen=True):
    member_id: str
    points: int
    expires_on: date | None
    tier: str | None
    seen: MemberNow


# -- stored value ------------------------------------------------------------------------------


class WalletNow(Struct, frozen=True):
    member_id: str
    wallet: Wallet
    currency: str
    zone: ZoneInfo


class WalletEntries(Struct, frozen=True):
    entries: list[Entry]  # newest first
    next_cursor: str | None


class ToppedUp(Struct, frozen=True):
    payment_id: str
    amount: int
    bonus: int
    rule: str | None
    reason: str
    bonus_expires_on: date | None
    wallet: WalletNow


class WalletPaid(Struct, frozen=True):
    order_id: str
    amount: int
    principal: int
    bonus: int
    spend_order: str
    wallet: WalletNow


class WalletRefunded(Struct, frozen=True):
    order_id: str
    amount: int
    principal: int
    bonus: int
    bonus_expired: int
    refunded_total: int
    wallet: WalletNow


class Withdrawn(Struct, frozen=True):
    payment_id: str
    amount: int
    bonus_taken_back: int
    principal_kept: int
    withdrawn_total: int
    withdrawable_now: int
    wallet: WalletNow


# -- the books ---------------------------------------------------------------------------------


class Liability(Struct, frozen=True):
    """What the brand owes its members, from the running totals as of their watermark."""

    totals: Totals
    program: Program
    now: datetime
    watermark: datetime | None  # every change up to it is counted (None: nothing folded yet)


class BrandNow(Struct, frozen=True):
    """The brand as it stands: the standing figures and their ratios by name, members by tier,
    what it owes, and what the merchant is warned of."""

    figures: dict[str, Figure]
    tiers: dict[str, int]
    liability: Liability
    warnings: list[Warning]


class Figures(Struct, frozen=True):
    """The merchant's figures over a range of brand-local days."""

    first_day: date
    last_day: date
    grain: Grain
    as_of: datetime
    periods: list[Period]
    total: Period
    points_redemption_rate: float | None
    coupon_redemption_rate: float | None
    now: BrandNow


class Reconciled(Struct, frozen=True):
    scope: Literal["member", "brand"]
    members_checked: int
    figures: dict[str, int]  # sums over the members checked, by name (books.figures_of)
    mismatches: list[Mismatch]
    totals: Liability | None = None
    next_cursor: str | None = None


# -- webhooks ----------------------------------------------------------------------------------


class Deliveries(Struct, frozen=True):
    deliveries: list[Delivery]  # newest first
    next_cursor: str | None
