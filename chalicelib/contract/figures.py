"""The merchant's figures and the books: liability, KPIs (数据看板), sales totals,
reconciliation."""

from datetime import date, datetime
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from ..domain.books import Mismatch, points_value
from ..domain.bounds import Day
from ..domain.kpis import Period, SalesTotals, Warning
from ..domain.outcomes import BrandNow, Figures, Liability, Reconciled
from .common import Amount, Currency, Request, Response


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


# -- presenters --------------------------------------------------------------------------------


def liability_out(owed: Liability) -> LiabilityOut:
    totals, program, now, watermark = owed.totals, owed.program, owed.now, owed.watermark
    rate = program.redemption
    return LiabilityOut(
        as_of=watermark or now,
        lag_seconds=round((now - watermark).total_seconds(), 3) if watermark else None,
        currency=program.currency,
        points_outstanding=totals.points_balance,
        points_pending=totals.points_pending,
        points_debt=totals.points_debt,
        points_value=points_value(totals.points_balance, rate.points, rate.amount),
        wallet_principal=totals.wallet_principal,
        wallet_bonus=totals.wallet_bonus,
        wallet_outstanding=totals.wallet_principal + totals.wallet_bonus,
    )


def mismatch_out(m: Mismatch) -> MismatchOut:
    return MismatchOut(
        check=m.check, member_id=m.member_id, expected=m.expected, actual=m.actual, detail=m.detail
    )


def reconciliation_out(done: Reconciled) -> ReconciliationOut:
    return ReconciliationOut(
        ok=not done.mismatches,
        scope=done.scope,
        members_checked=done.members_checked,
        figures=BookFigures(**done.figures),
        mismatches=[mismatch_out(m) for m in done.mismatches],
        totals=liability_out(done.totals) if done.totals else None,
        next_cursor=done.next_cursor,
    )


WARNINGS = {
    "active_ratio_7d_low": {
        "en": "fewer than 40% of members were active in the last 7 days",
        "zh": "近7日活跃率低于40%",
    },
    "repurchase_rate_30d_low": {
        "en": "fewer than 25% of the last 30 days' buyers bought again",
        "zh": "近30日复购率低于25%",
    },
}


def coupons_out(coupons: dict[str, dict[str, int]]) -> dict[str, CouponFiguresOut]:
    return {tid: CouponFiguresOut(**counts) for tid, counts in sorted(coupons.items())}


def period_out(period: Period) -> KpiPeriodOut:
    return KpiPeriodOut(
        period_start=period.start,
        days=period.days,
        coupons=coupons_out(period.coupons),
        **period.figures,
    )


def warning_out(warning: Warning) -> KpiWarningOut:
    return KpiWarningOut(
        code=warning.code,
        value=warning.value,
        threshold=warning.threshold,
        message=WARNINGS[warning.code],
    )


def brand_now_out(now: BrandNow) -> KpiNowOut:
    return KpiNowOut(
        **now.figures,
        tiers=now.tiers,
        liability=liability_out(now.liability),
        warnings=[warning_out(w) for w in now.warnings],
    )


def kpis_out(found: Figures) -> KpisOut:
    return KpisOut(
        first_day=found.first_day,
        last_day=found.last_day,
        grain=found.grain,
        as_of=found.as_of,
        periods=[period_out(p) for p in found.periods],
        totals=period_out(found.total),
        points_redemption_rate=found.points_redemption_rate,
        coupon_redemption_rate=found.coupon_redemption_rate,
        now=brand_now_out(found.now),
    )


def sales_totals_out(totals: SalesTotals) -> SalesTotalsOut:
    return SalesTotalsOut(
        day=date.fromisoformat(totals.day),
        orders=totals.orders,
        amount=totals.amount,
        currency=totals.currency,
        reported_at=totals.reported_at,
    )
