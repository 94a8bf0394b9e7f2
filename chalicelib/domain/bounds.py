"""The dates and instants the engine accepts, checked before any time-zone arithmetic.

`0001-01-01T00:00:00+14:00` is a valid ISO 8601 instant, but it has no UTC form in Python
(year 0), and `9999-12-31T23:59:59-14:00` none either (year 10000): a bound on the naive value
comes first, then the bound on the instant itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_SLACK = timedelta(
    days=2
)  # wider than any UTC offset, so the naive check never refuses a valid one


def _instant_in_range(value: datetime) -> datetime:
    naive = value.replace(tzinfo=None)
    inside = EARLIEST.replace(tzinfo=None) - _SLACK <= naive <= LATEST.replace(tzinfo=None) + _SLACK
    if not inside or not EARLIEST <= value < LATEST:
        raise ValueError(f"must be from {EARLIEST.date()} to before {LATEST.date()} (UTC)")
    return value


def _day_in_range(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError(f"must be from {EARLIEST.date()} to before {LATEST.date()}")
    return value


def _birthday_in_range(value: date) -> date:
    if not date(1900, 1, 1) <= value < LATEST.date():
        raise ValueError("must be a date from 1900-01-01, not in the future")
    return value


Instant = Annotated[
    AwareDatetime,
    AfterValidator(_instant_in_range),
    Field(description="ISO 8601 with a UTC offset, from 2000-01-01 to before 2100-01-01"),
]
Day = Annotated[
    date,
    AfterValidator(_day_in_range),
    Field(description="ISO 8601 date, from 2000-01-01 to before 2100-01-01"),
]
Birthday = Annotated[
    date,
    AfterValidator(_birthday_in_range),
    Field(description="ISO 8601 date, from 1900-01-01 on, not in the future"),
]
