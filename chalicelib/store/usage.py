"""What a member did each brand-local day, for the daily limits (风控): one small item per member
and day, read before a limited write and ADDed to in it, under a condition that the sum stays
within the limit, so two tills at once can never pass it together. Kept 40 days (TTL).

Nothing is read or written for a limit the program leaves off."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pynamodb.expressions.condition import Condition

from ..domain.guards import Guard, Rule
from ..domain.limits import Usage
from . import keys
from .models import UsageItem
from .unit_of_work import UnitOfWork, get_or_none

KEEP = timedelta(days=40)
FIELDS = ("earned", "checkin", "redemptions", "coupons")


class UsageStore:
    def of_day(self, member_id: str, day: date) -> Usage:
        item = get_or_none(UsageItem, keys.member_pk(member_id), keys.usage_sk(day))
        if item is None:
            return Usage()
        return Usage(*(int(getattr(item, name) or 0) for name in FIELDS))

    def stage(
        self,
        uow: UnitOfWork,
        member_id: str,
        day: date,
        zone: ZoneInfo,
        used: dict[str, tuple[int, int | None]],
    ) -> None:
        """ADD each `used[name] = (amount, limit)` to the day; with a limit, only while the day's
        sum stays within it (else the write fails on `DAILY_LIMIT`: read again and decide)."""
        moved = {name: pair for name, pair in used.items() if pair[0]}
        if not moved:
            return
        gone = datetime.combine(day + KEEP, time(), zone)
        item = UsageItem(pk=keys.member_pk(member_id), sk=keys.usage_sk(day))
        actions = [getattr(UsageItem, name).add(amount) for name, (amount, _) in moved.items()]
        condition: Condition | None = None
        for name, (amount, limit) in moved.items():
            if limit is None:
                continue
            attr = getattr(UsageItem, name)
            within = attr.does_not_exist() | (attr <= limit - amount)
            condition = within if condition is None else condition & within
        actions += [UsageItem.ttl.set(int(gone.timestamp())), UsageItem.type.set(UsageItem)]
        uow.update(Guard(Rule.DAILY_LIMIT, ",".join(sorted(moved))), item, actions, condition)
