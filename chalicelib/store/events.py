"""Events kept for 30 days: a UTC day's in eight partitions (a shard of the id: no day is one hot
partition), ids that sort by time; the feed reads the day's shards newest first, merged."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from pynamodb.exceptions import PutError

from . import keys
from .models import EventItem
from .unit_of_work import dynamodb, get_or_none

KEEP_DAYS = 30


def day_of(event_id: str) -> date | None:
    """Ids are `evt_<YYYYMMDDHHMMSSffffff>_<hash>`: the day they were created is in them."""
    try:
        return datetime.strptime(event_id[4:12], "%Y%m%d").date()
    except ValueError:
        return None


class EventStore:
    def keep(self, event_id: str, event_type: str, member_id: str | None, envelope: str) -> bool:
        """Keep the event unless it was published already; True if it still has to be."""
        day = day_of(event_id)
        assert day is not None, event_id
        item = EventItem(
            pk=keys.events_pk(day, event_id),
            sk=event_id,
            event_id=event_id,
            event_type=event_type,
            member_id=member_id,
            envelope=envelope,
            published=False,
            ttl=int(
                (datetime.combine(day, time(), UTC) + timedelta(days=KEEP_DAYS + 1)).timestamp()
            ),
        )
        with dynamodb():
            try:
                item.save(
                    condition=EventItem.pk.does_not_exist() | (EventItem.published == False)  # noqa: E712
                )
            except PutError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def mark_published(self, event_id: str) -> None:
        day = day_of(event_id)
        assert day is not None, event_id
        with dynamodb():
            EventItem(pk=keys.events_pk(day, event_id), sk=event_id).update(
                actions=[EventItem.published.set(True)]
            )

    def get(self, event_id: str) -> EventItem | None:
        day = day_of(event_id)
        if day is None:
            return None
        return get_or_none(EventItem, keys.events_pk(day, event_id), event_id)

    def newest_first(self, day: date, before: str | None) -> Iterator[EventItem]:
        """One day's events, newest first across its shards, those before the id `before` (a
        cursor); each shard's query is paged as the merge reads on."""
        condition = EventItem.sk < before if before else EventItem.sk.startswith("evt_")
        with dynamodb():
            shards = [
                EventItem.query(pk, condition, scan_index_forward=False)
                for pk in keys.events_pks(day)
            ]
            yield from heapq.merge(*shards, key=lambda item: str(item.sk), reverse=True)
