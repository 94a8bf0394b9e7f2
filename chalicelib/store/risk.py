"""Velocity signals (风控): per subject and day, a count in the subject's own partition (so a
busy day spreads over members, devices and networks, never one hot item), and the signals
reached, one `RISK#<day>` partition a day that the merchant reads and the stream publishes.

A count is written under the condition that it is still what was read (two writes at once: one
retries), so the write that reaches the threshold knows it, and the signal is written once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from msgspec import Struct
from pynamodb.expressions.update import Action

from ..domain.guards import Guard, Rule
from .models import RiskCountItem, RiskSignalItem
from .unit_of_work import UnitOfWork, dynamodb, get_or_none

KEEP = timedelta(days=40)


def _sk(day: date, kind: str) -> str:
    return f"RISK#{day.isoformat()}#{kind}"


def _day_pk(day: date) -> str:
    return f"RISK#{day.isoformat()}"


class Signal(Struct, frozen=True):
    kind: str
    day: str
    subject: str
    threshold: int
    member_id: str
    created_at: datetime


class RiskStore:
    def count(self, subject_pk: str, day: date, kind: str) -> int:
        item = get_or_none(RiskCountItem, subject_pk, _sk(day, kind))
        return 0 if item is None else int(item.seen or 0)

    def stage_count(
        self, uow: UnitOfWork, subject_pk: str, day: date, kind: str, read: int, zone: ZoneInfo
    ) -> None:
        """One more, if the count is still `read`."""
        item = RiskCountItem(pk=subject_pk, sk=_sk(day, kind))
        gone = datetime.combine(day + KEEP, time(), zone)
        condition = RiskCountItem.pk.does_not_exist() if read == 0 else RiskCountItem.seen == read
        actions: list[Action] = [
            RiskCountItem.seen.add(1),
            RiskCountItem.ttl.set(int(gone.timestamp())),
            RiskCountItem.type.set(RiskCountItem),
        ]
        uow.update(Guard(Rule.RISK_COUNT_AS_READ, kind), item, actions, condition)

    def stage_signal(self, uow: UnitOfWork, signal: Signal, zone: ZoneInfo) -> None:
        day = date.fromisoformat(signal.day)
        gone = datetime.combine(day + KEEP, time(), zone)
        item = RiskSignalItem(
            pk=_day_pk(day),
            sk=f"{signal.kind}#{signal.subject}",
            kind=signal.kind,
            day=signal.day,
            subject=signal.subject,
            threshold=signal.threshold,
            member_id=signal.member_id,
            created_at=signal.created_at,
            ttl=int(gone.timestamp()),
        )
        uow.put(Guard(Rule.RISK_SIGNAL, signal.kind), item)

    def signals(self, day: date) -> list[Signal]:
        with dynamodb():
            return [
                Signal(
                    item.kind,
                    item.day,
                    item.subject,
                    int(item.threshold),
                    item.member_id,
                    item.created_at,
                )
                for item in RiskSignalItem.query(_day_pk(day))
            ]
