"""The brand's program document: earning, redemption, pending window, expiry and time zone."""

from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .bounds import Day

Multiplier = Annotated[Decimal, Field(ge=0, le=100, max_digits=6, decimal_places=2)]


def known_zone(value: str) -> str:
    """An IANA time zone name, or a ValueError naming it (the program's, a brand's)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {value!r}: not an IANA zone (Asia/Shanghai, …)"
        ) from exc
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class EarnRate(Strict):
    """`points_per_unit` points per `unit_amount` minor units paid (default 1 point per 1.00)."""

    points_per_unit: int = Field(1, ge=0, le=10_000)
    unit_amount: int = Field(100, gt=0, le=1_000_000)
    rounding: Literal["floor", "half_up", "ceil"] = "floor"


class Bonus(Strict):
    """Items of a SKU or category earn `multiplier` times the base (0 excludes them)."""

    sku: str | None = Field(None, min_length=1, max_length=64)
    category: str | None = Field(None, min_length=1, max_length=64)
    multiplier: Multiplier

    @model_validator(mode="after")
    def _one_target(self) -> "Bonus":
        if (self.sku is None) == (self.category is None):
            raise ValueError("a bonus names exactly one of sku or category")
        return self


class Campaign(Strict):
    """Every purchase made between the two dates (inclusive, brand time zone) earns more."""

    name: str = Field(min_length=1, max_length=80)
    starts_on: Day
    ends_on: Day
    multiplier: Multiplier

    @model_validator(mode="after")
    def _ordered(self) -> "Campaign":
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class RedemptionRate(Strict):
    """`points` points take `amount` minor units off (100 points = 1.00 by default)."""

    points: int = Field(100, gt=0, le=1_000_000)
    amount: int = Field(100, gt=0, le=1_000_000)
    min_points: int = Field(0, ge=0)


ReminderDays = Annotated[
    list[Annotated[int, Field(ge=1, le=365)]],
    Field(
        max_length=4,
        description="days before points expire on which the member is reminded "
        "(a points.expiring event with what is left unspent that day); [] for none",
    ),
]


def _distinct_days(days: list[int]) -> list[int]:
    if len(set(days)) != len(days):
        raise ValueError("reminder_days must not repeat a day")
    return sorted(days, reverse=True)


class RollingExpiry(Strict):
    """Each lot expires at the end of its earning day, `months` months later."""

    kind: Literal["rolling"] = "rolling"
    months: int = Field(12, ge=1, le=120)
    reminder_days: ReminderDays = Field(default_factory=lambda: [30, 7])

    _distinct = field_validator("reminder_days")(_distinct_days)


class CalendarExpiry(Strict):
    """清零: points earned in a period expire at the end of the period `grace_periods` later."""

    kind: Literal["calendar"] = "calendar"
    period: Literal["year", "quarter"] = "year"
    grace_periods: int = Field(1, ge=0, le=10)
    reminder_days: ReminderDays = Field(default_factory=lambda: [30, 7])

    _distinct = field_validator("reminder_days")(_distinct_days)


class NeverExpire(Strict):
    kind: Literal["never"] = "never"

    @property
    def reminder_days(self) -> list[int]:
        return []


ExpiryPolicy = Annotated[RollingExpiry | CalendarExpiry | NeverExpire, Field(discriminator="kind")]


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]


class TierBenefits(Strict):
    """What a tier gives; `flags` name anything else (dedicated_service, early_access, ...)."""

    earn_multiplier: Multiplier = Decimal(1)
    welcome_coupon: Slug | None = Field(None, description="template issued on reaching the tier")
    birthday_gift: Slug | None = Field(None, description="template issued on the birthday")
    free_shipping: bool = False
    flags: list[Slug] = Field(default_factory=list, max_length=20)


class Tier(Strict):
    name: Slug
    threshold: int = Field(ge=0, description="metric needed over the window to hold the tier")
    benefits: TierBenefits = Field(default_factory=TierBenefits)


class TierWindow(Strict):
    """A calendar period in the brand's time zone, or the last `days` days."""

    kind: Literal["calendar", "rolling_days"] = "calendar"
    period: Literal["month", "quarter", "year"] = "month"
    days: int = Field(30, ge=1, le=92)


class TierLadder(Strict):
    """等级: tiers by qualifying spend, order count or growth value over a window.

    Upgrades happen at once on the purchase that qualifies; downgrades only at the review at the
    end of each window (calendar) or month (rolling), after `grace_periods` reviews below."""

    metric: Literal["spend", "orders", "growth"] = "spend"
    window: TierWindow = Field(default_factory=TierWindow)
    tiers: list[Tier] = Field(min_length=1, max_length=20)
    grace_periods: int = Field(0, ge=0, le=4)

    @model_validator(mode="after")
    def _ascending(self) -> "TierLadder":
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        thresholds = [t.threshold for t in self.tiers]
        if thresholds != sorted(set(thresholds)):
            raise ValueError("tier thresholds must be strictly ascending")
        return self

    def tier(self, name: str | None) -> Tier | None:
        return next((t for t in self.tiers if t.name == name), None)

    def rank(self, name: str | None) -> int:
        """0 for no tier, 1 for the lowest, ...; a tier the ladder no longer has ranks 0."""
        return next((i + 1 for i, t in enumerate(self.tiers) if t.name == name), 0)


class Growth(Strict):
    """成长值: `per_unit` growth for every `unit_amount` paid, plus fixed values per activity."""

    per_unit: int = Field(1, ge=0, le=10_000)
    unit_amount: int = Field(100, gt=0, le=1_000_000)
    activities: dict[Slug, int] = Field(default_factory=dict, max_length=50)


class Lifecycle(Strict):
    """Birthday perks and the member lifecycle, run by the nightly jobs: active, dormant (沉睡)
    after `dormant_after_days` without a purchase or activity, with a win-back coupon (唤醒)
    then and after each cooldown while still idle, churned (流失) after `churned_after_days`."""

    birthday_coupon: Slug | None = Field(
        None, description="for members whose tier has no birthday_gift of its own"
    )
    dormant_after_days: int = Field(30, ge=1, le=730)
    winback_coupon: Slug | None = Field(None, description="issued when a member turns dormant")
    winback_cooldown_days: int = Field(60, ge=1, le=730)
    churned_after_days: int | None = Field(
        180, ge=2, le=3650, description="idle days before a member counts as churned; null: never"
    )

    @model_validator(mode="after")
    def _churn_after_dormancy(self) -> "Lifecycle":
        if self.churned_after_days is not None and (
            self.churned_after_days <= self.dormant_after_days
        ):
            raise ValueError("churned_after_days must be more than dormant_after_days")
        return self


class Rfm(Strict):
    """RFM (最近消费时间 / 消费频率 / 消费金额): the window a member's frequency and monetary value
    count over, and how many members the nightly RFM job reads to set the score quintiles."""

    window_days: int = Field(365, ge=7, le=730)
    sample_size: int = Field(
        2000, ge=100, le=5000, description="members read per night for the quintiles"
    )


class Limits(Strict):
    """风控: what one member may do. The daily limits count by the brand-local day and are off
    (null) unless set; points past a points limit are not earned (the cap is a line of the
    breakdown), a redemption or coupon past its limit is refused (409 `limit_reached`)."""

    max_order_amount: int = Field(100_000_000, gt=0)
    max_points_per_order: int = Field(1_000_000, gt=0)
    max_purchase_age_days: int = Field(
        365, ge=1, le=3650, description="how far back occurred_at may go (offline tills)"
    )
    max_points_per_member_per_day: int | None = Field(
        None, gt=0, le=10**9, description="points earned a day, purchases and check-ins together"
    )
    max_checkin_points_per_day: int | None = Field(
        None,
        gt=0,
        le=10**9,
        description="check-in points a day, make-ups and streak bonuses included",
    )
    max_redemptions_per_member_per_day: int | None = Field(None, gt=0, le=10_000)
    max_coupons_per_member_per_day: int | None = Field(
        None, gt=0, le=10_000, description="coupons issued by an admin or exchanged for points"
    )
    lookup_misses_per_minute: int | None = Field(
        60,
        gt=0,
        le=1_000_000,
        description="per API key: look-ups by phone, email, external id or OpenID that find no "
        "member; past it 429 with Retry-After until the minute is over (null: unlimited). "
        "Give each store its own key, or raise it, where many tills share one",
    )


class RiskSignals(Strict):
    """Velocity signals (not blocking): a `risk.signal` once a day's count reaches its threshold
    (null: not counted). Counted by the brand-local day."""

    enrollments_per_device: int | None = Field(
        3, ge=2, le=10_000, description="new members with one device_id (the storefront's)"
    )
    enrollments_per_ip_range: int | None = Field(
        20, ge=2, le=100_000, description="new members from one IPv4 /24 or IPv6 /48"
    )
    redemptions_per_member: int | None = Field(5, ge=2, le=10_000, description="a burst")
    refunds_after_redeem_per_member: int | None = Field(
        2, ge=1, le=10_000, description="refunds of orders the member paid with points"
    )


class Referral(Strict):
    """邀请有礼: a member's friend enrols with the member's referral code; both are rewarded
    when the friend's first purchase (of at least `min_order_amount`) is recorded, the points
    pending until the return window ends (a refund of that order before then takes them back).
    A referrer is rewarded for at most `max_rewards_per_month` friends a brand-local month."""

    enabled: bool = False
    referrer_points: int = Field(0, ge=0, le=1_000_000)
    friend_points: int = Field(0, ge=0, le=1_000_000)
    referrer_coupon: Slug | None = None
    friend_coupon: Slug | None = None
    min_order_amount: int = Field(1, ge=1, le=10**10, description="minor units")
    max_rewards_per_month: int | None = Field(10, ge=1, le=10_000)


class StreakBonus(Strict):
    """What the check-in that makes the streak `day` days long adds: points, a coupon, or both."""

    day: int = Field(ge=2, le=366)
    points: int = Field(0, ge=0, le=1_000_000)
    coupon: Slug | None = Field(None, description="a coupon template issued on that day")

    @model_validator(mode="after")
    def _gives_something(self) -> "StreakBonus":
        if not self.points and self.coupon is None:
            raise ValueError("a streak bonus gives points, a coupon or both")
        return self


class Checkin(Strict):
    """签到: one check-in a brand-local day earns `points`; a streak of consecutive days earns
    the bonuses of `streak_bonuses` as it reaches them, and a missed day starts it again unless
    made up (补签, at most `makeups_per_month` days of the current month)."""

    enabled: bool = False
    points: int = Field(5, ge=0, le=1_000_000)
    streak_bonuses: list[StreakBonus] = Field(default_factory=list, max_length=30)
    makeups_per_month: int = Field(0, ge=0, le=31)
    growth: int = Field(0, ge=0, le=10_000, description="成长值 per check-in")

    @model_validator(mode="after")
    def _distinct_days(self) -> "Checkin":
        days = [bonus.day for bonus in self.streak_bonuses]
        if len(set(days)) != len(days):
            raise ValueError("streak_bonuses must not repeat a day")
        return self


class TopupBonus(Strict):
    """储值送: a top-up of at least `min_amount` gets `bonus` (both in minor units)."""

    min_amount: int = Field(gt=0, le=10**10)
    bonus: int = Field(gt=0, le=10**10)
    label: str | None = Field(None, max_length=40, description="e.g. 储500送50")


class WalletRules(Strict):
    """储值: stored value. The best bonus a top-up reaches applies (the largest `bonus` among
    the rules whose `min_amount` it reaches); bonus money lasts `bonus_valid_days` (null:
    forever); a payment spends the parts in `spend_order`."""

    enabled: bool = True
    topup_bonuses: list[TopupBonus] = Field(default_factory=list, max_length=20)
    bonus_valid_days: int | None = Field(None, ge=1, le=3650)
    spend_order: Literal["proportional", "bonus_first", "principal_first"] = "proportional"
    min_topup: int = Field(1, ge=1, le=10**10)
    max_topup: int = Field(10**8, ge=1, le=10**10, description="per top-up, minor units")
    max_balance: int = Field(10**9, ge=1, le=10**12, description="principal + bonus, at most")

    @model_validator(mode="after")
    def _distinct_steps(self) -> "WalletRules":
        steps = [rule.min_amount for rule in self.topup_bonuses]
        if len(set(steps)) != len(steps):
            raise ValueError("topup_bonuses must not repeat a min_amount")
        if self.min_topup > self.max_topup:
            raise ValueError("min_topup is more than max_topup")
        return self

    def bonus_for(self, amount: int) -> TopupBonus | None:
        reached = [rule for rule in self.topup_bonuses if amount >= rule.min_amount]
        return max(reached, key=lambda rule: (rule.bonus, rule.min_amount), default=None)


class Program(Strict):
    """The whole document: GET returns exactly what PUT accepts (with `version` filled in)."""

    version: int | None = Field(
        None,
        ge=1,
        description="Current version when read; when sent, must match (optimistic lock).",
    )
    name: str = Field(min_length=1, max_length=80)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    time_zone: str = "UTC"
    default_phone_region: str = Field("CN", pattern=r"^[A-Z]{2}$")
    earn: EarnRate = Field(default_factory=EarnRate)
    bonuses: list[Bonus] = Field(default_factory=list, max_length=200)
    campaigns: list[Campaign] = Field(default_factory=list, max_length=50)
    tiers: TierLadder | None = None
    growth: Growth = Field(default_factory=Growth)
    enroll_coupon: Slug | None = Field(None, description="template issued to every new member")
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    redemption: RedemptionRate = Field(default_factory=RedemptionRate)
    return_window_days: int = Field(0, ge=0, le=365)
    expiry: ExpiryPolicy = Field(default_factory=RollingExpiry)
    limits: Limits = Field(default_factory=Limits)
    checkin: Checkin = Field(default_factory=Checkin)
    risk: RiskSignals = Field(default_factory=RiskSignals)
    referral: Referral = Field(default_factory=Referral)
    wallet: WalletRules = Field(default_factory=WalletRules)
    rfm: Rfm = Field(default_factory=Rfm)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def coupon_references(self) -> list[tuple[str, str]]:
        """Every template the document names, as (field path, template id)."""
        named = [
            ("enroll_coupon", self.enroll_coupon),
            ("lifecycle.birthday_coupon", self.lifecycle.birthday_coupon),
            ("lifecycle.winback_coupon", self.lifecycle.winback_coupon),
        ]
        named.append(("referral.referrer_coupon", self.referral.referrer_coupon))
        named.append(("referral.friend_coupon", self.referral.friend_coupon))
        for i, bonus in enumerate(self.checkin.streak_bonuses):
            named.append((f"checkin.streak_bonuses.{i}.coupon", bonus.coupon))
        for i, tier in enumerate(self.tiers.tiers if self.tiers else []):
            path = f"tiers.tiers.{i}.benefits"
            named.append((f"{path}.welcome_coupon", tier.benefits.welcome_coupon))
            named.append((f"{path}.birthday_gift", tier.benefits.birthday_gift))
        return [(path, tid) for path, tid in named if tid is not None]

    def earn_multiplier(self, tier: str | None) -> Decimal:
        found = self.tiers.tier(tier) if self.tiers else None
        return found.benefits.earn_multiplier if found else Decimal(1)
