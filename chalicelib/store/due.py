"""What the nightly jobs read: one local day's partition of a sparse, sharded index at a time,
so the work follows the members concerned, not the membership."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..domain.members import Member
from . import keys
from .members import member_from
from .models import MemberItem
from .unit_of_work import dynamodb


class DueStore:
    def due_for_review(self, day: str, shard: int) -> Iterator[Member]:
        """Members whose tier review falls on `day` (gsi1, `REVIEW#<day>#<shard>`)."""
        yield from _members_in(MemberItem.due, keys.review_pk_for_shard(day, shard))

    def birthdays(self, month_day: str, shard: int) -> Iterator[Member]:
        """Members born on `MM-DD` (gsi2)."""
        yield from _members_in(MemberItem.birthdays, keys.shard_key("BDAY", month_day, shard))

    def turning_dormant(self, day: str, shard: int) -> Iterator[Member]:
        """Members whose last activity makes them dormant on the local `day` (gsi3)."""
        yield from _members_in(MemberItem.dormancy, keys.shard_key("DORMANT", day, shard))


def _members_in(index: Any, partition: str) -> Iterator[Member]:
    with dynamodb():
        for item in index.query(partition):
            if isinstance(item, MemberItem):
                yield member_from(item)
