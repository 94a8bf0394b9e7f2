"""The merchant's view of the velocity signals (风控): what was reached, day by day (one query
of a day's `RISK#<day>` partition each, a month at most)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Protocol

from ..contract.risk import RiskDayOut, RiskSignalOut, RiskSignalsOut
from ..domain.errors import ValidationFailed
from ..store.program import ProgramCache
from ..store.risk import RiskStore

MAX_DAYS = 31


class Needs(Protocol):
    programs: ProgramCache
    risk: RiskStore

    @property
    def clock(self) -> Callable[[], datetime]: ...


def signals(d: Needs, day_from: date | None, day_to: date | None) -> RiskSignalsOut:
    program = d.programs.require()
    today = d.clock().astimezone(program.zone).date()
    last = day_to or today
    first = day_from or last - timedelta(days=6)
    if first > last:
        raise ValidationFailed("from is after to", param="from")
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed(f"at most {MAX_DAYS} days at a time", param="from")
    days: list[RiskDayOut] = []
    day = last
    while day >= first:
        found = sorted(d.risk.signals(day), key=lambda s: s.created_at, reverse=True)
        days.append(
            RiskDayOut(
                day=day,
                counts=dict(Counter(s.kind for s in found)),
                signals=[
                    RiskSignalOut(
                        signal=s.kind,
                        subject=s.subject,
                        threshold=s.threshold,
                        member_id=s.member_id,
                        at=s.created_at,
                    )
                    for s in found
                ],
            )
        )
        day -= timedelta(days=1)
    return RiskSignalsOut(
        first_day=first,
        last_day=last,
        thresholds=program.risk.model_dump(),
        total=sum(len(day.signals) for day in days),
        days=days,
    )
