"""Use case (admin): the merchant's figures (数据看板) over a range of brand-local days.

Read, never scanned: the range's day figures are one query of the `KPI` partition (16 shards a
day), the last 30 days' marks one more, the standing counts and the running totals one small
query and one BatchGetItem — whatever the brand's size.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Protocol

from ..contract.figures import SalesTotalsRequest
from ..domain import kpis
from ..domain.errors import ValidationFailed
from ..domain.outcomes import BrandNow, Figures, Liability
from ..domain.program import Program
from ..store.aggregates import AggregateStore
from ..store.kpis import KpiStore, SalesTotals
from ..store.program import ProgramCache
from ..store.totals import TotalsStore

MAX_DAYS = 400


class Needs(Protocol):
    aggregates: AggregateStore
    kpis: KpiStore
    programs: ProgramCache
    totals: TotalsStore

    @property
    def clock(self) -> Callable[[], datetime]: ...


def figures(d: Needs, first: date | None, last: date | None, grain: kpis.Grain) -> Figures:
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
    snaps = d.kpis.snapshots(first, last)
    periods = kpis.periods_of(first, last, grain)
    series = [
        kpis.period(start, in_period, days, reported, {}, snaps)
        for start, in_period in periods.items()
    ]
    every_day = [day for in_period in periods.values() for day in in_period]
    total = kpis.period(first, every_day, days, reported, coupons, snaps)
    flows = total.figures
    watermark = d.aggregates.watermark(now)  # one read: the figures' and the totals' moment
    recent = days if first <= _month_ago(today) and last >= today else None
    return Figures(
        first_day=first,
        last_day=last,
        grain=grain,
        as_of=watermark or now,
        periods=series,
        total=total,
        points_redemption_rate=kpis.ratio(
            _int(flows, "points_redeemed") + _int(flows, "points_exchanged"),
            _int(flows, "points_issued"),
        ),
        coupon_redemption_rate=kpis.ratio(
            sum(c["redeemed"] for c in coupons.values()),
            sum(c["issued"] for c in coupons.values()),
        ),
        now=_now(d, today, program, now, watermark, recent),
    )


def _int(figures: dict[str, kpis.Figure], name: str) -> int:
    return int(figures.get(name) or 0)


def report_sales(d: Needs, request: SalesTotalsRequest) -> SalesTotals:
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
    totals = SalesTotals(
        request.day.isoformat(), request.orders, request.amount, request.currency, now
    )
    d.kpis.put_sales(totals)
    return totals


def _month_ago(today: date) -> date:
    return today - timedelta(days=29)


def _standing(
    d: Needs, today: date, read: dict[str, dict[str, int]] | None
) -> tuple[dict[str, int], dict[str, int]]:
    """The standing figures to `today`, and the standing counts. `read`: the range's days when
    they hold the last 30."""
    recent = read if read is not None else d.kpis.days(_month_ago(today), today)
    counts = d.kpis.counts()
    return kpis.standing(today, recent, counts), counts


def _now(
    d: Needs,
    today: date,
    program: Program,
    now: datetime,
    watermark: datetime | None,
    read: dict[str, dict[str, int]] | None,
) -> BrandNow:
    standing, counts = _standing(d, today, read)
    figures: dict[str, kpis.Figure] = {**standing, **kpis.ratios(standing)}
    owed = Liability(d.totals.read(), program, now, watermark)
    return BrandNow(figures, kpis.tiers_of(counts), owed, kpis.warnings(figures))


def snapshot(d: Needs, day: date) -> dict[str, int]:
    """The standing figures as `day` ended, kept for the ratios' series (the nightly `figures`
    job, just after the brand-local midnight: the marks are then the day's end)."""
    standing, _ = _standing(d, day, None)
    d.kpis.put_snapshot(day, standing, d.clock())
    return standing
