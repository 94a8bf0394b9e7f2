"""Tiers (等级) and growth value (成长值): qualifying metrics per period, upgrade, review, progress.

A member keeps small buckets of its qualifying metrics: one per brand-local month for calendar
windows, one per local day for rolling windows (at most 92 days). Each bucket is
[spend in minor units, orders, growth value]. Pure functions; the day is always passed in.
"""

from __future__ import annotations

from datetime import date, timedelta

from msgspec import Struct

from .program import Tier, TierLadder, TierWindow

Buckets = dict[str, list[int]]
METRICS = {"spend": 0, "orders": 1, "growth": 2}


def _month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def bucket_key(day: date, window: TierWindow) -> str:
    return day.isoformat() if window.kind == "rolling_days" else _month_key(day)


def window_bounds(day: date, window: TierWindow) -> tuple[date, date]:
    """First and last local day of the window that `day` falls in (rolling: ends on `day`)."""
    if window.kind == "rolling_days":
        return day - timedelta(days=window.days - 1), day
    if window.period == "month":
        start = day.replace(day=1)
        return start, _first_of_next_month(start) - timedelta(days=1)
    if window.period == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        end_month = start.month + 2
        return start, _first_of_next_month(date(day.year, end_month, 1)) - timedelta(days=1)
    return date(day.year, 1, 1), date(day.year, 12, 31)


def window_value(buckets: Buckets, ladder: TierLadder, day: date) -> int:
    """The ladder's metric summed over the window that `day` falls in."""
    start, end = window_bounds(day, ladder.window)
    index = METRICS[ladder.metric]
    low, high = bucket_key(start, ladder.window), bucket_key(end, ladder.window)
    return sum(values[index] for key, values in buckets.items() if low <= key <= high)


def record(
    buckets: Buckets,
    window: TierWindow,
    day: date,
    *,
    spend: int = 0,
    orders: int = 0,
    growth: int = 0,
    today: date,
) -> Buckets:
    """Add to the bucket of `day` (a refund passes negatives), and drop buckets no review needs."""
    updated = {key: list(values) for key, values in buckets.items()}
    key = bucket_key(day, window)
    oldest_needed = window_bounds(window_bounds(today, window)[0] - timedelta(days=1), window)[0]
    oldest_needed -= timedelta(days=40)  # a review that runs late still sees its whole window
    if key >= bucket_key(oldest_needed, window):
        values = updated.setdefault(key, [0, 0, 0])
        values[0] = max(0, values[0] + spend)
        values[1] = max(0, values[1] + orders)
        values[2] = max(0, values[2] + growth)
    keep = bucket_key(oldest_needed, window)
    return {k: v for k, v in updated.items() if k >= keep}


def qualifying(ladder: TierLadder, value: int) -> Tier | None:
    """The highest tier whose threshold the value reaches."""
    reached = [tier for tier in ladder.tiers if tier.threshold <= value]
    return reached[-1] if reached else None


def next_review(day: date, window: TierWindow) -> date:
    """The local day the review after `day` runs: the day after the window (calendar) or the
    first of next month (rolling windows are reviewed monthly)."""
    if window.kind == "rolling_days":
        return _first_of_next_month(day)
    return window_bounds(day, window)[1] + timedelta(days=1)


class Upgrade(Struct, frozen=True):
    old: str | None
    new: Tier


def upgrade(ladder: TierLadder, current: str | None, buckets: Buckets, day: date) -> Upgrade | None:
    """A purchase can only raise the tier, at once, to the highest one it now qualifies for."""
    reached = qualifying(ladder, window_value(buckets, ladder, day))
    if reached is None or ladder.rank(reached.name) <= ladder.rank(current):
        return None
    return Upgrade(current, reached)


class ReviewDecision(Struct, frozen=True):
    tier: str | None
    grace_left: int
    value: int

    def changed(self, before: str | None) -> bool:
        return self.tier != before


def review(
    ladder: TierLadder, current: str | None, grace_left: int, buckets: Buckets, review_day: date
) -> ReviewDecision:
    """At the end of a window: keep the tier if the window just ended qualifies for it (grace is
    restored), else use one period of grace if any is left, else drop to what it qualifies for.
    A review never raises a tier; purchases do that."""
    value = window_value(buckets, ladder, review_day - timedelta(days=1))
    reached = qualifying(ladder, value)
    reached_name = reached.name if reached else None
    if ladder.tier(current) is None:
        # No tier stays none; a tier the ladder no longer has becomes what the member earns.
        return ReviewDecision(reached_name if current else None, ladder.grace_periods, value)
    if ladder.rank(reached_name) >= ladder.rank(current):
        return ReviewDecision(current, ladder.grace_periods, value)
    if grace_left > 0:
        return ReviewDecision(current, grace_left - 1, value)
    return ReviewDecision(reached_name, ladder.grace_periods, value)


class Progress(Struct, frozen=True):
    metric: str
    value: int
    window_start: date
    window_end: date
    next_tier: str | None
    missing: int


def progress(ladder: TierLadder, current: str | None, buckets: Buckets, today: date) -> Progress:
    """The metric so far in the window, the next tier above the current one, and what is missing
    by the window's end."""
    value = window_value(buckets, ladder, today)
    start, end = window_bounds(today, ladder.window)
    above = [t for t in ladder.tiers if ladder.rank(t.name) > ladder.rank(current)]
    target = above[0] if above else None
    missing = max(0, target.threshold - value) if target else 0
    return Progress(ladder.metric, value, start, end, target.name if target else None, missing)


def growth_for(amount: int, per_unit: int, unit_amount: int) -> int:
    return amount * per_unit // unit_amount
