"""What the nightly jobs read: one local day's partition of a sparse, sharded index at a time,
so the work follows the members concerned, not the membership.

The indexes keep keys only (a member's rewrite then costs no index write unless its day moves):
a night reads a partition's keys, then its members, a hundred at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice
from typing import Any

from ..domain.members import Member
from . import keys
from .members import member_from
from .models import Item, MemberItem
from .unit_of_work import dynamodb

BATCH = 100  # BatchGetItem's limit


class DueStore:
    def due_for_review(self, day: str, shard: int) -> Iterator[Member]:
        """Members whose tier review falls on `day` (gsi1, `REVIEW#<day>#<shard>`)."""
        yield from _members_in(MemberItem.reviews, keys.review_pk_for_shard(day, shard))

    def birthdays(self, month_day: str, shard: int) -> Iterator[Member]:
        """Members born on `MM-DD` (gsi2)."""
        yield from _members_in(MemberItem.birthdays, keys.shard_key("BDAY", month_day, shard))

    def turning_dormant(self, day: str, shard: int) -> Iterator[Member]:
        """Members whose last activity makes them dormant on the local `day` (gsi3)."""
        yield from _members_in(MemberItem.dormancy, keys.shard_key("DORMANT", day, shard))

    def lots_due(self, day: str, shard: int) -> Iterator[Member]:
        """Members whose soonest lot vests or expires on the local `day` (gsi4)."""
        yield from _members_in(MemberItem.due, keys.shard_key("DUE", day, shard))

    def page(
        self, partition: str, after: str | None, limit: int = BATCH
    ) -> tuple[list[str], str | None]:
        """One page of a due-day partition of gsi4 (`DUE#<day>#<shard>`): member ids, and where
        the next page starts (None: this was the last), as text to keep in a checkpoint."""
        connection = Item._get_connection()
        start = json.loads(after) if after else None
        with dynamodb():
            found = connection.query(
                partition,
                index_name=MemberItem.due.Meta.index_name,
                exclusive_start_key=start,
                limit=limit,
            )
        member_ids = [item["pk"]["S"].split("#", 1)[1] for item in found.get("Items", [])]
        last = found.get("LastEvaluatedKey")
        return member_ids, json.dumps(last, sort_keys=True) if last else None


def _keys_in(index: Any, partition: str) -> Iterator[str]:
    """The member keys in one index partition. Read below PynamoDB's model query, which would
    filter on the item type, an attribute a keys-only index does not hold."""
    connection = Item._get_connection()
    start = None
    while True:
        page = connection.query(
            partition, index_name=index.Meta.index_name, exclusive_start_key=start
        )
        for item in page.get("Items", []):
            yield item["pk"]["S"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def _members_in(index: Any, partition: str) -> Iterator[Member]:
    with dynamodb():
        found = _keys_in(index, partition)
        while chunk := list(islice(found, BATCH)):
            members = MemberItem.batch_get([(pk, keys.MEMBER_SK) for pk in chunk])
            for item in sorted(members, key=lambda item: item.pk):
                yield member_from(item)
