"""Expiry reminders sent: one item per (member, expiry day, days before), written only if it
is not there yet, so a re-run or a second runner sends nothing twice."""

from datetime import UTC, date, datetime, time, timedelta

from pynamodb.exceptions import PutError

from . import keys
from .models import ReminderItem
from .unit_of_work import dynamodb, get_or_none

KEEP_DAYS = 30  # after the points' day: long enough to read the event off the stream


class ReminderStore:
    def sent(self, member_id: str, last_day: date, days_before: int) -> bool:
        key = keys.reminder_sk(last_day, days_before)
        return get_or_none(ReminderItem, keys.member_pk(member_id), key) is not None

    def send(
        self,
        member_id: str,
        last_day: date,
        days_before: int,
        points: int,
        business_date: date,
        now: datetime,
    ) -> bool:
        """Record the reminder (the stream sends it); False if it was already sent."""
        gone = datetime.combine(last_day + timedelta(days=KEEP_DAYS), time(), UTC)
        item = ReminderItem(
            pk=keys.member_pk(member_id),
            sk=keys.reminder_sk(last_day, days_before),
            points=points,
            expires_on=last_day.isoformat(),
            days_before=days_before,
            business_date=business_date.isoformat(),
            created_at=now,
            ttl=int(gone.timestamp()),
        )
        with dynamodb():
            try:
                item.save(condition=ReminderItem.pk.does_not_exist())
            except PutError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise
        return True
