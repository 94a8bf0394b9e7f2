"""The merchant's view of the velocity signals (风控): what was reached, day by day (one query
of a day's `RISK#<day>` partition each, a month at most)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Protocol

from ..domain.errors import ValidationFailed
from ..domain.outcomes import RiskDay, RiskDays
from ..store.program import ProgramCache
from ..store.risk import RiskStore

MAX_DAYS = 31


class Needs(Protocol):
    programs: ProgramCache
    risk: RiskStore

    @property
    def clock(self) -> Callable[[], datetime]: ...


def signals(d: Needs, day_from: date | None, day_to: date | None) -> RiskDays:
    program = d.programs.require()
    today = d.clock().astimezone(program.zone).date()
    last = day_to or today
    first = day_from or last - timedelta(days=6)
    if first > last:
        raise ValidationFailed("from is after to", param="from")
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed(f"at most {MAX_DAYS} days at a time", param="from")
    days: list[RiskDay] = []
    day = last
    while day >= first:
        found = sorted(d.risk.signals(day), key=lambda s: s.created_at, reverse=True)
        days.append(RiskDay(day, found))
        day -= timedelta(days=1)
    return RiskDays(first, last, program.risk.model_dump(), days)
