"""When a lot of points expires, in the brand's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from msgspec import Struct

from .errors import ValidationFailed
from .program import CalendarExpiry, NeverExpire, Program, RollingExpiry


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: day 28 exists in every month")


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def last_valid_day(
    earned_at: datetime, policy: RollingExpiry | CalendarExpiry | NeverExpire, zone: ZoneInfo
) -> date | None:
    """The last local day on which the points can still be spent (None: they never expire)."""
    earned_day = earned_at.astimezone(zone).date()
    if isinstance(policy, RollingExpiry):
        return _add_months(earned_day, policy.months)
    if isinstance(policy, CalendarExpiry):
        if policy.period == "year":
            return date(earned_day.year + policy.grace_periods, 12, 31)
        quarter = (earned_day.month - 1) // 3 + policy.grace_periods
        year, q = earned_day.year + quarter // 4, quarter % 4
        next_quarter_start = date(year + (q == 3), (q + 1) % 4 * 3 + 1, 1)
        return next_quarter_start - timedelta(days=1)
    return None


def expires_at(last_day: date | None, zone: ZoneInfo) -> datetime | None:
    """The instant the points stop being spendable: local midnight after the last valid day."""
    if last_day is None:
        return None
    return _local_midnight(last_day + timedelta(days=1), zone).astimezone(UTC)


class LotTerms(Struct, frozen=True):
    """When the points of a purchase become spendable and until when they stay so."""

    last_day: date | None  # the last local day they can be spent (None: never expire)
    expires_at: datetime | None  # the instant they stop being spendable
    vests_at: datetime | None  # when the return window ends (None: spendable at once)


def lot_terms(occurred_at: datetime, program: Program, now: datetime) -> LotTerms:
    """The terms of points earned at `occurred_at`; refused when they would be dead on arrival."""
    zone = program.zone
    last_day = last_valid_day(occurred_at, program.expiry, zone)
    expiry = expires_at(last_day, zone)
    if expiry is not None and expiry <= now:
        raise ValidationFailed(
            "occurred_at is so long ago that its points would already have expired",
            param="occurred_at",
        )
    window = program.return_window_days
    vests = occurred_at + timedelta(days=window) if window else None
    return LotTerms(last_day, expiry, vests)
