"""RFM (最近消费时间 / 消费频率 / 消费金额): how recently, how often and how much a member buys.

A member keeps one small bucket per brand-local week (from Monday) it bought in, `[orders,
amount]`, for the brand's window (default 365 days, counted in whole weeks: at most 54 buckets,
about a kilobyte, on an item every write of the member rewrites), updated by each purchase and
refund in their transaction. Its frequency and monetary value are read from them on any day; its
recency from the day of its last purchase.

Scores 1–5 are the member's quintile among the brand's buyers: the nightly RFM job reads a sample
of the members (never all of them), and keeps the four cut points of each measure. A member's
segment (champions, loyal, at risk, hibernating, …) follows from its scores: it is worked out when
read, from the latest cut points, so it is never stale and costs no nightly write per member.
Pure functions; the day is always passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from msgspec import Struct

Buckets = dict[str, list[int]]  # the local ISO Monday of a week -> [orders, amount, minor units]


class Values(Struct, frozen=True):
    recency_days: int | None  # days since the last purchase in the window; None: none in it
    frequency: int  # orders in the window
    monetary: int  # their amount, net of refunds, in minor units


class Cuts(Struct, frozen=True):
    """The four cut points of each measure: a value above the k-th is in quintile k+2 (recency:
    fewer days is better, so it is scored the other way round)."""

    recency: list[int]
    frequency: list[int]
    monetary: list[int]


class Scores(Struct, frozen=True):
    r: int
    f: int
    m: int

    @property
    def code(self) -> str:
        return f"{self.r}{self.f}{self.m}"


def week_of(day: date) -> date:
    """The Monday of `day`'s week (ISO 8601): a bucket's key."""
    return day - timedelta(days=day.weekday())


def first_week(today: date, window_days: int) -> str:
    """The oldest bucket the window holds: whole weeks, so from `window_days` to 6 days more."""
    return week_of(today - timedelta(days=window_days - 1)).isoformat()


def record(
    buckets: Buckets,
    day: date,
    *,
    orders: int = 0,
    amount: int = 0,
    today: date,
    window_days: int,
) -> Buckets:
    """Add to the bucket of `day`'s week (a refund passes negatives) and drop the weeks out of
    the window."""
    oldest = first_week(today, window_days)
    updated = {key: list(values) for key, values in buckets.items() if key >= oldest}
    key = week_of(day).isoformat()
    if key >= oldest:
        values = updated.setdefault(key, [0, 0])
        values[0] = max(0, values[0] + orders)
        values[1] = max(0, values[1] + amount)
        if values == [0, 0]:
            del updated[key]
    return updated


def values(buckets: Buckets, last_purchase: str | None, today: date, window_days: int) -> Values:
    """Recency from the member's last purchase day (None: none in the window), frequency and
    monetary from the window's weeks."""
    oldest, last = first_week(today, window_days), today.isoformat()
    kept = [v for key, v in buckets.items() if oldest <= key <= last]
    window_start = (today - timedelta(days=window_days - 1)).isoformat()
    recency = (
        (today - date.fromisoformat(last_purchase)).days
        if last_purchase is not None and window_start <= last_purchase <= last
        else None
    )
    return Values(recency, sum(v[0] for v in kept), sum(v[1] for v in kept))


def _quintile_cuts(sample: Sequence[int]) -> list[int]:
    """The values at the 20th, 40th, 60th and 80th percentile (nearest rank) of a sample."""
    ordered = sorted(sample)
    if not ordered:
        return [0, 0, 0, 0]
    n = len(ordered)
    return [ordered[max(0, -(-n * q // 5) - 1)] for q in range(1, 5)]


def cuts(sample: Iterable[Values]) -> Cuts:
    """Cut points from the buyers in a sample (members without a purchase in the window have
    no scores)."""
    buyers = [v for v in sample if v.recency_days is not None]
    return Cuts(
        recency=_quintile_cuts([v.recency_days or 0 for v in buyers]),
        frequency=_quintile_cuts([v.frequency for v in buyers]),
        monetary=_quintile_cuts([v.monetary for v in buyers]),
    )


def _rank(value: int, points: list[int]) -> int:
    """1 + how many cut points the value is above: 1 (lowest fifth) .. 5 (highest)."""
    return 1 + sum(1 for point in points if value > point)


def scores(found: Values, by: Cuts) -> Scores | None:
    if found.recency_days is None:
        return None
    return Scores(
        r=5 - sum(1 for point in by.recency if found.recency_days > point),
        f=_rank(found.frequency, by.frequency),
        m=_rank(found.monetary, by.monetary),
    )


# The classic segments, first match wins (r: recency score, f: frequency score).
SEGMENTS: tuple[tuple[str, str, str], ...] = (
    ("champions", "Champions", "重要价值客户"),
    ("loyal", "Loyal", "忠诚客户"),
    ("new", "New", "新客户"),
    ("promising", "Promising", "潜力客户"),
    ("cannot_lose", "Can't lose them", "重要挽留客户"),
    ("at_risk", "At risk", "流失风险客户"),
    ("needs_attention", "Needs attention", "需关注客户"),
    ("hibernating", "Hibernating", "沉睡客户"),
    ("prospect", "No purchase yet", "未消费"),
)
SEGMENT_NAMES = tuple(code for code, _, _ in SEGMENTS)


def segment(found: Scores | None) -> str:
    """The member's segment from its scores (None: no purchase in the window)."""
    if found is None:
        return "prospect"
    r, f, m = found.r, found.f, found.m
    if r >= 4 and f >= 4:
        return "champions"
    if r >= 3 and f >= 3:
        return "loyal"
    if r >= 4 and f == 1:
        return "new"
    if r >= 4:
        return "promising"
    if r == 1 and f >= 4 and m >= 4:
        return "cannot_lose"
    if r <= 2 and f >= 3:
        return "at_risk"
    if r == 3:
        return "needs_attention"
    return "hibernating"
