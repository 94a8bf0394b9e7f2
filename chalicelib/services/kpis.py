"""Use case (admin): the merchant's figures (数据看板) over a range of brand-local days.

Read, never scanned: the range's day figures are one query of the `KPI` partition (16 shards a
day), the last 30 days' marks one more, the standing counts and the running totals one small
query and one BatchGetItem — whatever the brand's size.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Protocol

from ..contract.figures import (
    CouponFiguresOut,
    KpiNowOut,
    KpiPeriodOut,
    KpisOut,
    KpiWarningOut,
    SalesTotalsOut,
    SalesTotalsRequest,
    liability_out,
)
from ..domain import kpis
from ..domain.errors import ValidationFailed
from ..domain.outcomes import Liability
from ..domain.program import Program
from ..store.aggregates import AggregateStore
from ..store.kpis import KpiStore, SalesTotals
from ..store.program import ProgramCache
from ..store.totals import TotalsStore

MAX_DAYS = 400
ISSUED = ("points_earned", "points_checkin", "points_referral")


class Needs(Protocol):
    aggregates: AggregateStore
    kpis: KpiStore
    programs: ProgramCache
    totals: TotalsStore

    @property
    def clock(self) -> Callable[[], datetime]: ...


def figures(d: Needs, first: date | None, last: date | None, grain: kpis.Grain) -> KpisOut:
    program = d.programs.require()
    now = d.clock()
    today = now.astimezone(program.zone).date()
    last = last or today
    first = first or last - timedelta(days=29)
    if first > last:
        raise ValidationFailed("from is after to", param="from")
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed(f"at most {MAX_DAYS} days at a time", param="from")
    days = d.kpis.days(first, last)
    coupons = d.kpis.coupons(first, last)  # the range's, by template (not by period)
    reported = d.kpis.sales(first, last)
    periods: dict[date, list[str]] = {}
    day = first
    while day <= last:
        periods.setdefault(max(kpis.period_of(day, grain), first), []).append(day.isoformat())
        day += timedelta(days=1)
    snaps = d.kpis.snapshots(first, last)
    series = [
        _period(start, in_period, days, reported, {}, snaps) for start, in_period in periods.items()
    ]
    every_day = [day for in_period in periods.values() for day in in_period]
    total = _period(first, every_day, days, reported, coupons, snaps)
    return KpisOut(
        first_day=first,
        last_day=last,
        grain=grain,
        as_of=d.aggregates.watermark(now) or now,
        periods=series,
        totals=total,
        points_redemption_rate=kpis.ratio(
            total.points_redeemed + total.points_exchanged, total.points_issued
        ),
        coupon_redemption_rate=kpis.ratio(
            sum(c.redeemed for c in total.coupons.values()),
            sum(c.issued for c in total.coupons.values()),
        ),
        now=_now(
            d,
            today,
            program,
            now,
            days if first <= _month_ago(today) and last >= today else None,
        ),
    )


def coupons_out(coupons: dict[str, dict[str, int]]) -> dict[str, CouponFiguresOut]:
    return {tid: CouponFiguresOut(**counts) for tid, counts in sorted(coupons.items())}


def _period(
    start: date,
    in_period: list[str],
    days: dict[str, dict[str, int]],
    reported: dict[str, SalesTotals],
    coupons: dict[str, dict[str, int]],
    snaps: dict[str, dict[str, int]],
) -> KpiPeriodOut:
    figures = [days.get(day, {}) for day in in_period]
    snapped = [day for day in in_period if day in snaps]
    sums = {name: sum(f.get(name, 0) for f in figures) for name in kpis.DAY_FLOWS}
    known = [day for day in in_period if day in reported]  # the days the storefront reported
    all_orders = sum(reported[day].orders for day in known) if known else None
    all_sales = sum(reported[day].amount for day in known) if known else None
    members_on_known = sum(days.get(day, {}).get("sales", 0) for day in known)
    return KpiPeriodOut(
        period_start=start,
        days=len(in_period),
        net_sales=sums["sales"] - sums["refunded_amount"],
        average_order_value=sums["sales"] // sums["orders"] if sums["orders"] else None,
        all_orders=all_orders,
        all_sales=all_sales,
        members_share_of_sales=kpis.ratio(members_on_known, all_sales or 0),
        average_order_value_all=all_sales // all_orders if all_orders and all_sales else None,
        points_issued=sum(sums[name] for name in ISSUED),
        coupons=coupons_out(coupons),
        **_ratios(snaps[snapped[-1]] if snapped else None),
        **sums,
    )


def report_sales(d: Needs, request: SalesTotalsRequest) -> SalesTotalsOut:
    """The storefront's figures of a day's every sale (members' or not), for the members' share
    of sales; a later report of the same day replaces it."""
    program = d.programs.require()
    now = d.clock()
    if request.currency != program.currency:
        raise ValidationFailed(
            f"the brand's currency is {program.currency}, not {request.currency}",
            param="currency",
        )
    if request.day > now.astimezone(program.zone).date():
        raise ValidationFailed("the day has not begun yet (brand-local)", param="day")
    day = request.day.isoformat()
    totals = SalesTotals(day, request.orders, request.amount, request.currency, now)
    d.kpis.put_sales(totals)
    return SalesTotalsOut(
        day=request.day,
        orders=totals.orders,
        amount=totals.amount,
        currency=totals.currency,
        reported_at=now,
    )


def _month_ago(today: date) -> date:
    return today - timedelta(days=29)


def _standing(
    d: Needs, today: date, read: dict[str, dict[str, int]] | None
) -> tuple[dict[str, int], dict[str, int]]:
    """The members and how many were active and bought in the 7 and 30 days to `today` (from the
    day marks), and the standing counts. `read`: the range's days when they hold the last 30."""
    month = {(today - timedelta(days=n)).isoformat() for n in range(30)}
    recent = read if read is not None else d.kpis.days(_month_ago(today), today)
    recent = {day: figures for day, figures in recent.items() if day in month}
    week = {(today - timedelta(days=n)).isoformat() for n in range(7)}

    def marked(mark: str, within: set[str] | None = None) -> int:
        return sum(d[mark] for day, d in recent.items() if within is None or day in within)

    counts = d.kpis.counts()
    standing = {
        "members": counts.get("members", 0),
        "active_7d": marked("active_mark", week),
        "active_30d": marked("active_mark"),
        "purchasers_30d": marked("purchase_mark"),
        "repeat_purchasers_30d": marked("prev_purchase_mark"),
    }
    return standing, counts


def _now(
    d: Needs,
    today: date,
    program: Program,
    now: datetime,
    read: dict[str, dict[str, int]] | None,
) -> KpiNowOut:
    standing, counts = _standing(d, today, read)
    figures = KpiNowOut(
        **standing,
        **_ratios(standing),
        tiers={
            key.split("@", 1)[1]: n
            for key, n in sorted(counts.items())
            if key.startswith("tier@") and n
        },
        liability=liability_out(
            Liability(d.totals.read(), program, now, d.aggregates.watermark(now))
        ),
        warnings=[],
    )
    figures.warnings = _warnings(figures)
    return figures


def snapshot(d: Needs, day: date) -> dict[str, int]:
    """The standing figures as `day` ended, kept for the ratios' series (the nightly `figures`
    job, just after the brand-local midnight: the marks are then the day's end)."""
    standing, _ = _standing(d, day, None)
    d.kpis.put_snapshot(day, standing, d.clock())
    return standing


def _ratios(snap: dict[str, int] | None) -> dict[str, float | None]:
    if snap is None:
        return {}
    members = snap.get("members", 0)
    return {
        "active_ratio_7d": kpis.ratio(snap.get("active_7d", 0), members),
        "active_ratio_30d": kpis.ratio(snap.get("active_30d", 0), members),
        "repurchase_rate_30d": kpis.ratio(
            snap.get("repeat_purchasers_30d", 0), snap.get("purchasers_30d", 0)
        ),
    }


def _warnings(now: KpiNowOut) -> list[KpiWarningOut]:
    found = []
    if now.active_ratio_7d is not None and now.active_ratio_7d < kpis.ACTIVE_7D_WARNING:
        found.append(
            KpiWarningOut(
                code="active_ratio_7d_low",
                value=now.active_ratio_7d,
                threshold=kpis.ACTIVE_7D_WARNING,
                message={
                    "en": "fewer than 40% of members were active in the last 7 days",
                    "zh": "近7日活跃率低于40%",
                },
            )
        )
    rate = now.repurchase_rate_30d
    if rate is not None and rate < kpis.REPURCHASE_30D_WARNING:
        found.append(
            KpiWarningOut(
                code="repurchase_rate_30d_low",
                value=rate,
                threshold=kpis.REPURCHASE_30D_WARNING,
                message={
                    "en": "fewer than 25% of the last 30 days' buyers bought again",
                    "zh": "近30日复购率低于25%",
                },
            )
        )
    return found
