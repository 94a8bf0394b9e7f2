"""The merchant's figures in the table: a brand-local day's flows and marks (`KPI`, sk
`<day>#<shard>`), standing counts (`KPICOUNT`, sk `<name>#<shard>`: the members, each tier's)
and coupons by template and day (`KPICPN`, sk `<day>#<template>#<shard>`).

Every one is only ever ADDed to, in the transaction of the fact it counts (`domain.kpis` says
what a fact adds), sharded by member like the running totals: concurrent facts never conflict on
them, a busy day never makes a hot item, and a retried request — which commits nothing — counts
nothing twice. A range of days is one query of the `KPI` partition.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from msgspec import Struct

from ..domain import kpis
from ..domain.guards import Guard, Rule
from ..domain.members import Member
from ..domain.points import LedgerRow
from . import keys
from .models import KpiCountItem, KpiCouponItem, KpiDayItem, KpiSnapshotItem, SalesTotalsItem
from .unit_of_work import UnitOfWork, dynamodb

DAY_FIELDS = (*kpis.DAY_FLOWS, *kpis.DAY_MARKS)


def stage_day(uow: UnitOfWork, member_id: str, day: str, **deltas: int) -> None:
    """Add to the member's shard of `day` (nothing if every delta is 0)."""
    if any(deltas.values()):
        item = KpiDayItem(pk=keys.KPI_PK, sk=keys.kpi_day_sk(day, member_id))
        uow.add(Guard(Rule.TOTALS), item, deltas)


def stage_member(uow: UnitOfWork, member: Member, today: str) -> None:
    """A member written: today's flows (enrolled, first active or purchase of the day, merged
    away), its marks moved from the days they were on to the days they are on, its counts."""
    before, after = member.as_read, member.standing()
    if before == after:
        return
    stage_day(uow, member.member_id, today, **kpis.member_flows(before, after, today))
    for key, delta in kpis.moved(kpis.marks(before), kpis.marks(after)).items():
        name, _, on = key.partition("@")
        if name in kpis.DAY_MARKS:
            stage_day(uow, member.member_id, on, **{name: delta})
        else:  # "members", "tier@<tier>"
            count = KpiCountItem(pk=keys.KPI_COUNT_PK, sk=keys.kpi_count_sk(key, member.member_id))
            uow.add(Guard(Rule.TOTALS), count, {"n": delta})
    member.as_read = after  # one write, one count: a second staging of it adds nothing


def stage_points(uow: UnitOfWork, member_id: str, today: str, rows: Iterable[LedgerRow]) -> None:
    stage_day(uow, member_id, today, **kpis.points_flows(rows))


def stage_coupon(
    uow: UnitOfWork, member_id: str, today: str, template_id: str, **deltas: int
) -> None:
    """`issued`, `redeemed` or `released` of one template, on the member's shard of the day."""
    item = KpiCouponItem(
        pk=keys.KPI_COUPON_PK,
        sk=keys.kpi_coupon_sk(today, template_id, member_id),
        template_id=template_id,
    )
    uow.add(Guard(Rule.TOTALS), item, deltas)


class SalesTotals(Struct, frozen=True):
    """The storefront's report of one day's every sale, members' or not."""

    day: str
    orders: int
    amount: int
    currency: str
    reported_at: datetime


class KpiStore:
    def put_sales(self, totals: SalesTotals) -> None:
        """The day's report, replacing an earlier one (a corrected figure)."""
        item = SalesTotalsItem(
            pk=keys.KPI_SALES_PK,
            sk=totals.day,
            day=totals.day,
            orders=totals.orders,
            amount=totals.amount,
            currency=totals.currency,
            reported_at=totals.reported_at,
        )
        with dynamodb():
            item.save()

    def put_snapshot(self, day: date, figures: dict[str, int], taken_at: datetime) -> None:
        """The standing figures as `day` ended (a re-run of the night replaces them)."""
        item = KpiSnapshotItem(
            pk=keys.KPI_SNAPSHOT_PK,
            sk=day.isoformat(),
            figures=json.dumps(figures, sort_keys=True),
            taken_at=taken_at,
        )
        with dynamodb():
            item.save()

    def snapshots(self, first: date, last: date) -> dict[str, dict[str, int]]:
        with dynamodb():
            return {
                item.sk: json.loads(item.figures)
                for item in KpiSnapshotItem.query(
                    keys.KPI_SNAPSHOT_PK,
                    KpiSnapshotItem.sk.between(first.isoformat(), last.isoformat()),
                )
            }

    def sales(self, first: date, last: date) -> dict[str, SalesTotals]:
        with dynamodb():
            return {
                item.day: SalesTotals(
                    item.day, int(item.orders), int(item.amount), item.currency, item.reported_at
                )
                for item in SalesTotalsItem.query(
                    keys.KPI_SALES_PK,
                    SalesTotalsItem.sk.between(first.isoformat(), last.isoformat()),
                )
            }

    def days(self, first: date, last: date) -> dict[str, dict[str, int]]:
        """Each day's figures from `first` to `last` (days nothing happened on are absent)."""
        out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DAY_FIELDS, 0))
        with dynamodb():
            for item in KpiDayItem.query(
                keys.KPI_PK,
                KpiDayItem.sk.between(f"{first.isoformat()}#", f"{last.isoformat()}#~"),
            ):
                day = out[item.sk.split("#", 1)[0]]
                for name in DAY_FIELDS:
                    day[name] += int(getattr(item, name) or 0)
        return dict(out)

    def counts(self) -> dict[str, int]:
        """The standing counts: `members`, and `tier@<tier>` for each tier (`tier@-`: none)."""
        out: dict[str, int] = defaultdict(int)
        with dynamodb():
            for item in KpiCountItem.query(keys.KPI_COUNT_PK):
                out[item.sk.rsplit("#", 1)[0]] += int(item.n or 0)
        return dict(out)

    def coupons(self, first: date, last: date) -> dict[str, dict[str, int]]:
        """Coupons issued, redeemed and released per template over the days."""
        out: dict[str, dict[str, int]] = defaultdict(
            lambda: {"issued": 0, "redeemed": 0, "released": 0}
        )
        with dynamodb():
            for item in KpiCouponItem.query(
                keys.KPI_COUPON_PK,
                KpiCouponItem.sk.between(f"{first.isoformat()}#", f"{last.isoformat()}#~"),
            ):
                counts = out[item.template_id or item.sk.split("#")[1]]
                for name in ("issued", "redeemed", "released"):
                    counts[name] += int(getattr(item, name) or 0)
        return dict(out)
