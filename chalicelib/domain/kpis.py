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
