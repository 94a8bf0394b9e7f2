"""The merchant's figures (数据看板), kept as things happen: pure rules of what a write adds.

Two kinds of figure, both added to in the transaction of the fact they count (so they are never
behind the books, and a retried request, which commits nothing new, counts nothing twice):

- **flows** of a brand-local day: members enrolled, members active that day (a purchase, a
  check-in, an activity: once per member and day), purchasers and repeat purchasers, orders and
  their amount, refunds, points by what moved them, coupons by template;
- **marks**: where each member stands now — the day it was last active, the day of its last
  purchase and of the one before (a different day), its tier. A member's change moves its
  marks (one off the old day, one onto the new), so "members active in the last 7 days" is the
  sum of the last 7 days' `active` marks, exactly, without reading a single member.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from msgspec import Struct

from .members import Member, Standing
from .points import LedgerRow

Grain = Literal["day", "week", "month"]

# Ledger row kind -> the flow it adds to (its points, as a positive number).
POINTS_FLOWS = {
    "earn": "points_earned",
    "checkin": "points_checkin",
    "referral": "points_referral",
    "import": "points_imported",
    "vest": "points_vested",
    "redeem": "points_redeemed",
    "exchange": "points_exchanged",
    "redeem_return": "points_returned",
    "clawback": "points_clawed_back",
    "expire": "points_expired",
    "debt_repayment": "points_debt_repaid",
}
# merge_in/merge_out rows move points between members: no flow.

DAY_FLOWS = (
    "members_new",
    "members_merged",
    "tier_changes",
    "active",
    "purchasers",
    "repeat_purchasers",
    "orders",
    "sales",
    "refunds",
    "refunded_amount",
    *POINTS_FLOWS.values(),
)
# The marks kept on a day: members whose last activity / purchase / purchase before is that day.
DAY_MARKS = ("active_mark", "purchase_mark", "prev_purchase_mark")
NO_TIER = "-"


def day_of(at: datetime, zone: ZoneInfo) -> str:
    """The brand-local ISO day a fact counts on."""
    return at.astimezone(zone).date().isoformat()


def marks(member: Standing | None) -> dict[str, int]:
    """Where the member stands, as `{mark: 1}`: `<mark>@<day>` for the day marks, `tier@<tier>`,
    and `members` (a member merged away, or none yet, has no marks)."""
    if member is None or member.merged_into is not None:
        return {}
    out = {"members": 1, f"tier@{member.tier or NO_TIER}": 1}
    for mark, day in (
        ("active_mark", member.active_day),
        ("purchase_mark", member.purchase_day),
        ("prev_purchase_mark", member.prev_purchase_day),
    ):
        if day is not None:
            out[f"{mark}@{day}"] = 1
    return out


def moved(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """The change of marks from one state of a member to the next (non-zero only)."""
    out = {key: after.get(key, 0) - before.get(key, 0) for key in {*before, *after}}
    return {key: value for key, value in out.items() if value}


def member_flows(before: Standing | None, after: Standing, today: str) -> dict[str, int]:
    """What a change of one member adds to `today`'s flows: enrolled, merged away, first active
    or first purchase of the day (a merge moves marks but counts no activity)."""
    flows: dict[str, int] = {}
    if before is None:
        flows["members_new"] = 1
    elif before.merged_into is None and after.merged_into is not None:
        flows["members_merged"] = 1
        return flows
    if before is not None and before.tier != after.tier:
        flows["tier_changes"] = 1
    if before is not None and after.merged_from != before.merged_from:  # taking a member in
        return flows
    if after.active_day == today and (before is None or before.active_day != today):
        flows["active"] = 1
    if after.purchase_day == today and (before is None or before.purchase_day != today):
        flows["purchasers"] = 1
        if before is not None and before.purchase_day is not None:
            flows["repeat_purchasers"] = 1
    return flows


def on_purchase(member: Member, today: str) -> None:
    """A purchase on the brand-local `today`: the last purchase day moves, and the one before it
    becomes the previous (a second purchase the same day changes neither)."""
    if member.purchase_day != today:
        member.prev_purchase_day = member.purchase_day
        member.purchase_day = today


def points_flows(rows: Iterable[LedgerRow]) -> dict[str, int]:
    """What ledger rows add to the day's points flows, each as a positive number of points."""
    out: dict[str, int] = {}
    for row in rows:
        name = POINTS_FLOWS.get(row.kind)
        if name is None:
            continue
        # a vest moves pending to balance, a debt repayment balance to debt: the move, not the sum
        points = row.balance_delta if row.kind in ("vest", "debt_repayment") else row.points
        out[name] = out.get(name, 0) + abs(points)
    return out


# -- reading: periods and ratios -----------------------------------------------------------------


def period_of(day: date, grain: Grain) -> date:
    """The first day of the period `day` falls in (weeks start on Monday, ISO 8601)."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def ratio(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


# The warning lines from the source articles: below them, the merchant is told.
ACTIVE_7D_WARNING = 0.40  # 7-day active ratio < 40%
REPURCHASE_30D_WARNING = 0.25  # 30-day repurchase rate < 25%


class SalesTotals(Struct, frozen=True):
    """The storefront's report of one day's every sale, members' or not."""

    day: str
    orders: int
    amount: int
    currency: str
    reported_at: datetime


ISSUED = ("points_earned", "points_checkin", "points_referral")

Figure = int | float | None


def ratios(standing: Mapping[str, int] | None) -> dict[str, Figure]:
    """The ratios of a day's standing figures (none before any were kept)."""
    if standing is None:
        return {}
    members = standing.get("members", 0)
    return {
        "active_ratio_7d": ratio(standing.get("active_7d", 0), members),
        "active_ratio_30d": ratio(standing.get("active_30d", 0), members),
        "repurchase_rate_30d": ratio(
            standing.get("repeat_purchasers_30d", 0), standing.get("purchasers_30d", 0)
        ),
    }


class Period(Struct, frozen=True):
    """A period of the range: its first day, how many days of the range it holds, its figures
    by name (flows summed, the storefront's reports, ratios as its last day ended) and its
    coupons by template."""

    start: date
    days: int
    figures: dict[str, Figure]
    coupons: dict[str, dict[str, int]]


def period(
    start: date,
    in_period: list[str],
    days: Mapping[str, Mapping[str, int]],
    reported: Mapping[str, SalesTotals],
    coupons: dict[str, dict[str, int]],
    snaps: Mapping[str, Mapping[str, int]],
) -> Period:
    """`days`: the day figures by day; `reported`: the storefront's reports of every sale;
    `snaps`: the standing figures kept as each day ended."""
    flows = [days.get(day, {}) for day in in_period]
    snapped = [day for day in in_period if day in snaps]
    sums = {name: sum(f.get(name, 0) for f in flows) for name in DAY_FLOWS}
    known = [day for day in in_period if day in reported]  # the days the storefront reported
    all_orders = sum(reported[day].orders for day in known) if known else None
    all_sales = sum(reported[day].amount for day in known) if known else None
    members_on_known = sum(days.get(day, {}).get("sales", 0) for day in known)
    figures: dict[str, Figure] = {
        "net_sales": sums["sales"] - sums["refunded_amount"],
        "average_order_value": sums["sales"] // sums["orders"] if sums["orders"] else None,
        "all_orders": all_orders,
        "all_sales": all_sales,
        "members_share_of_sales": ratio(members_on_known, all_sales or 0),
        "average_order_value_all": (all_sales // all_orders if all_orders and all_sales else None),
        "points_issued": sum(sums[name] for name in ISSUED),
        **ratios(snaps[snapped[-1]] if snapped else None),
        **sums,
    }
    return Period(start, len(in_period), figures, coupons)


def periods_of(first: date, last: date, grain: Grain) -> dict[date, list[str]]:
    """The range's days by the period they fall in (the first period starts at `first`)."""
    found: dict[date, list[str]] = {}
    day = first
    while day <= last:
        found.setdefault(max(period_of(day, grain), first), []).append(day.isoformat())
        day += timedelta(days=1)
    return found


def standing(
    today: date, recent: Mapping[str, Mapping[str, int]], counts: Mapping[str, int]
) -> dict[str, int]:
    """The members, and how many were active and bought in the 7 and 30 days to `today`, from
    the day marks of (at least) those 30 days and the standing counts."""
    month = {(today - timedelta(days=n)).isoformat() for n in range(30)}
    week = {(today - timedelta(days=n)).isoformat() for n in range(7)}

    def marked(mark: str, within: set[str]) -> int:
        return sum(figures[mark] for day, figures in recent.items() if day in within)

    return {
        "members": counts.get("members", 0),
        "active_7d": marked("active_mark", week),
        "active_30d": marked("active_mark", month),
        "purchasers_30d": marked("purchase_mark", month),
        "repeat_purchasers_30d": marked("prev_purchase_mark", month),
    }


def tiers_of(counts: Mapping[str, int]) -> dict[str, int]:
    """Members by tier, from the standing counts."""
    return {
        key.split("@", 1)[1]: n
        for key, n in sorted(counts.items())
        if key.startswith("tier@") and n
    }


class Warning(Struct, frozen=True):
    code: str  # e.g. active_ratio_7d_low
    value: float
    threshold: float


def warnings(now: Mapping[str, Figure]) -> list[Warning]:
    """What the merchant is told: a figure below the source articles' line."""
    found = []
    for code, name, line in (
        ("active_ratio_7d_low", "active_ratio_7d", ACTIVE_7D_WARNING),
        ("repurchase_rate_30d_low", "repurchase_rate_30d", REPURCHASE_30D_WARNING),
    ):
        value = now.get(name)
        if value is not None and value < line:
            found.append(Warning(code, float(value), line))
    return found
