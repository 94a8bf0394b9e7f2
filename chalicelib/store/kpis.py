"""The merchant's figures in the table: a brand-local day's flows and marks (`KPI`, sk
`<day>#<slot>`), standing counts (`KPICOUNT`, sk `<name>#<slot>`: the members, each tier's,
the coupons issued of each template) and coupons by template and day (`KPICPN`, sk
`<day>#<template>#<slot>`).

Every one is only ever ADDed to, by the stream consumer (`aggregates.figures` says what a
change adds), never in a member's transaction: a checkout shares no item with another. A range
of days is one query of the `KPI` partition.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime

from ..domain import kpis
from ..domain.kpis import SalesTotals
from . import keys
from .models import KpiCountItem, KpiCouponItem, KpiDayItem, KpiSnapshotItem, SalesTotalsItem
from .unit_of_work import dynamodb

DAY_FIELDS = (*kpis.DAY_FLOWS, *kpis.DAY_MARKS)


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
