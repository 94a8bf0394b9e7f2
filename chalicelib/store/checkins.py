"""A member's check-in days (签到), one item each in the member's partition: the day's points
and the answer its check-in got. A month's calendar is one query of its prefix."""

from __future__ import annotations

from datetime import date

from ..domain.checkin import CheckinDay
from ..domain.guards import Guard, Rule
from . import keys
from .idempotency import AnswerHome
from .models import CheckinItem
from .unit_of_work import UnitOfWork, dynamodb, get_or_none


def _day_from(item: CheckinItem) -> CheckinDay:
    return CheckinDay(
        item.day,
        int(item.points),
        int(item.bonus_points or 0),
        int(item.streak),
        bool(item.makeup),
        item.response,
    )


class CheckinStore:
    def home(self, member_id: str, day: date) -> AnswerHome:
        return AnswerHome(keys.member_pk(member_id), keys.checkin_sk(day))

    def day(self, member_id: str, day: date) -> CheckinDay | None:
        item = get_or_none(CheckinItem, keys.member_pk(member_id), keys.checkin_sk(day))
        return None if item is None else _day_from(item)

    def month(self, member_id: str, month: str) -> list[CheckinDay]:
        """The days of `month` ("2026-11") the member checked in, in order."""
        with dynamodb():
            items = CheckinItem.query(
                keys.member_pk(member_id), CheckinItem.sk.startswith(keys.checkin_sk(month))
            )
            return [_day_from(item) for item in items]

    def stage(self, uow: UnitOfWork, member_id: str, record: CheckinDay) -> AnswerHome:
        """The day checked in, once: a second check-in of the day fails its condition."""
        item = CheckinItem(
            pk=keys.member_pk(member_id),
            sk=keys.checkin_sk(record.day),
            day=record.day,
            points=record.points,
            bonus_points=record.bonus_points,
            streak=record.streak,
            makeup=record.makeup,
            response=record.response,
        )
        uow.put(Guard(Rule.CHECKIN_IS_NEW, record.day), item, CheckinItem.pk.does_not_exist())
        return AnswerHome(item.pk, item.sk)
