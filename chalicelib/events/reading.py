"""Events for pulling (a CRM that was down catches up): newest first, a day partition at a
time, filtered by type and member; a few queries per day read, never a scan."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..contract.events import EventOut, EventPage, EventQuery
from ..domain.errors import EventNotFound, ValidationFailed
from ..store.events import KEEP_DAYS, EventStore, day_of
from .publish import parse


def get(events: EventStore, event_id: str) -> EventOut:
    item = events.get(event_id)
    if item is None:
        raise EventNotFound(f"no event {event_id} in the last {KEEP_DAYS} days", param="id")
    return parse(item.envelope)


def page(events: EventStore, query: EventQuery, now: datetime) -> EventPage:
    today = now.date()
    oldest = today - timedelta(days=KEEP_DAYS)
    first = min(query.created_to or today, today)
    last = max(query.created_from or oldest, oldest)
    cursor_day = None
    if query.cursor is not None:
        cursor_day = day_of(query.cursor)
        if cursor_day is None:
            raise ValidationFailed("cursor is not one this API returned", param="cursor")
        first = min(first, cursor_day)
    found: list[EventOut] = []
    day: date = first
    more = False
    while day >= last and not more:
        before = query.cursor if day == cursor_day else None
        for item in events.newest_first(day, before):
            if query.type and item.event_type != query.type:
                continue
            if query.member_id and item.member_id != query.member_id:
                continue
            if len(found) == query.limit:
                more = True
                break
            found.append(parse(item.envelope))
        day -= timedelta(days=1)
    return EventPage(events=found, next_cursor=found[-1].id if more else None)
