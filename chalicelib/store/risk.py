"""Velocity signals (风控) in the table.

- A member's own counts (redemptions, refunds after redeeming) per brand-local day, in its own
  partition at `RISK#<day>#<kind>`: ADDed to in the transaction of the write they count, never
  conditioned, so they never refuse or retry a write.
- What members share (a device, a network) is never written by their writes: the stream
  consumer marks each enrolment seen under the subject (`RiskSeenItem`, once per member, so a
  redelivered record counts nothing twice) and counts the marks with a query.
- The signals reached, one `RISK#<day>` partition a day that the merchant reads and the stream
  publishes, each written once (a condition), by the stream consumer alone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pynamodb.exceptions import PutError
from pynamodb.expressions.update import Action

from ..domain.guards import Guard, Rule
from ..domain.risk import Signal
from .models import RiskCountItem, RiskSeenItem, RiskSignalItem
from .unit_of_work import UnitOfWork, dynamodb

KEEP = timedelta(days=40)


def _sk(day: date, kind: str) -> str:
    return f"RISK#{day.isoformat()}#{kind}"


def _day_pk(day: date) -> str:
    return f"RISK#{day.isoformat()}"


def _gone(day: date, zone: ZoneInfo) -> int:
    return int(datetime.combine(day + KEEP, time(), zone).timestamp())


def kind_of(count_sk: str) -> tuple[str, str] | None:
    """(day, kind) of a count's sort key, or None if it is not one."""
    parts = count_sk.split("#")
    return (parts[1], parts[2]) if len(parts) == 3 and parts[0] == "RISK" else None


class RiskStore:
    def stage_count(
        self,
        uow: UnitOfWork,
        subject_pk: str,
        day: date,
        kind: str,
        zone: ZoneInfo,
        now: datetime,
    ) -> None:
        """One more today (the stream consumer sees the count reach its threshold): an ADD
        with no condition, so two writes of the member's never refuse each other over it."""
        item = RiskCountItem(pk=subject_pk, sk=_sk(day, kind))
        actions: list[Action] = [
            RiskCountItem.seen.add(1),
            RiskCountItem.last_at.set(now),
            RiskCountItem.ttl.set(_gone(day, zone)),
            RiskCountItem.type.set(RiskCountItem),
        ]
        uow.update(Guard(Rule.RISK_COUNT, kind), item, actions)

    def mark_seen(
        self, subject_pk: str, day: date, kind: str, member_id: str, zone: ZoneInfo
    ) -> None:
        item = RiskSeenItem(
            pk=subject_pk,
            sk=f"{_sk(day, kind)}#{member_id}",
            member_id=member_id,
            ttl=_gone(day, zone),
        )
        with dynamodb():
            item.save()

    def seen(self, subject_pk: str, day: date, kind: str, at_most: int) -> int:
        """Members marked seen under the subject that day, counted up to `at_most`."""
        with dynamodb():
            found = RiskSeenItem.count(
                subject_pk, RiskSeenItem.sk.startswith(f"{_sk(day, kind)}#"), limit=at_most
            )
        return min(found, at_most)

    def signal_once(self, signal: Signal, zone: ZoneInfo) -> bool:
        """Write the signal unless it was written already (a redelivered record); True if new."""
        day = date.fromisoformat(signal.day)
        item = RiskSignalItem(
            pk=_day_pk(day),
            sk=f"{signal.kind}#{signal.subject}",
            kind=signal.kind,
            day=signal.day,
            subject=signal.subject,
            threshold=signal.threshold,
            member_id=signal.member_id,
            created_at=signal.created_at,
            ttl=_gone(day, zone),
        )
        with dynamodb():
            try:
                item.save(condition=RiskSignalItem.pk.does_not_exist())
            except PutError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise
        return True

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
