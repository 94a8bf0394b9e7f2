"""What the nightly jobs read: one local day's partition of a sparse, sharded index at a time,
so the work follows the members concerned, not the membership.

The indexes keep keys only (a member's rewrite then costs no index write unless its day moves):
a night reads a page of a partition's keys, then those members or lots, a hundred at a time."""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..domain.members import Member
from ..domain.points import Lot
from . import keys
from .books import BooksStore
from .members import lot_from, member_from
from .models import DueIndex, Item, LotItem, MemberItem
from .unit_of_work import dynamodb

BATCH = 100  # BatchGetItem's limit

# The job's index partitions, by the index that holds them.
INDEXES = {
    "REVIEW": MemberItem.reviews.Meta.index_name,
    "BDAY": MemberItem.birthdays.Meta.index_name,
    "DORMANT": MemberItem.dormancy.Meta.index_name,
    "DUE": MemberItem.due.Meta.index_name,
    "EXPIRES": MemberItem.due.Meta.index_name,
}


class Page(list[tuple[str, str]]):
    """The table keys (pk, sk) of one page of an index partition; `more`: pages follow."""

    more: bool = False

    def member_ids(self) -> list[str]:
        """The members the page's keys belong to, each once, in order."""
        return sorted({member_id_of(pk) for pk, _ in self})


class DueStore:
    def page(
        self, partition: str, after: str | None, limit: int = BATCH
    ) -> tuple[Page, str | None]:
        """One page of an index partition (`<KIND>#<day>#<shard>`): the table keys in it, and
        where the next page starts (None: this was the last), as text to keep in a checkpoint.
        Read below PynamoDB's model query, which would filter on the item type, an attribute a
        keys-only index does not hold. A `MEMBERS#all#<segment>` partition is one segment of a
        scan of the member items (reconciliation reads every member)."""
        if partition.startswith("MEMBERS#"):
            # a scan reads every item, of which a member is one in several: read more per page
            keys_found, after = BooksStore().member_keys(after, 10 * limit, int(partition[-2:]))
            members = Page(keys_found)
            members.more = after is not None
            return members, after
        connection = Item._get_connection()
        start = json.loads(after) if after else None
        with dynamodb():
            found = connection.query(
                partition,
                index_name=INDEXES[partition.split("#", 1)[0]],
                exclusive_start_key=start,
                limit=limit,
            )
        page = Page((item["pk"]["S"], item["sk"]["S"]) for item in found.get("Items", []))
        last = found.get("LastEvaluatedKey")
        page.more = last is not None
        return page, json.dumps(last, sort_keys=True) if last else None

    def lot_keys(self, partition: str, member_id: str) -> list[tuple[str, str]]:
        """Every lot key of one member in an `EXPIRES#` partition (its sk starts with the id):
        for the member a page boundary cut in two."""
        connection = Item._get_connection()
        found: list[tuple[str, str]] = []
        start = None
        with dynamodb():
            while True:
                page = connection.query(
                    partition,
                    range_key_condition=DueIndex.gsi4sk.startswith(f"{member_id}#"),
                    index_name=INDEXES["EXPIRES"],
                    exclusive_start_key=start,
                )
                found.extend((i["pk"]["S"], i["sk"]["S"]) for i in page.get("Items", []))
                start = page.get("LastEvaluatedKey")
                if not start:
                    return found

    def members(self, member_ids: Iterable[str]) -> list[Member]:
        """The members (those still there), in id order: one BatchGetItem per hundred."""
        wanted = sorted({keys.member_pk(m) for m in member_ids})
        found: list[Member] = []
        with dynamodb():
            for start in range(0, len(wanted), BATCH):
                chunk = [(pk, keys.MEMBER_SK) for pk in wanted[start : start + BATCH]]
                found.extend(member_from(item) for item in MemberItem.batch_get(chunk))
        return sorted(found, key=lambda m: m.member_id)

    def lots(self, lot_keys: Iterable[tuple[str, str]]) -> dict[str, list[Lot]]:
        """The lots still there, by member id (a spent lot is deleted)."""
        wanted = sorted(set(lot_keys))
        found: dict[str, list[Lot]] = {}
        with dynamodb():
            for start in range(0, len(wanted), BATCH):
                for item in LotItem.batch_get(wanted[start : start + BATCH]):
                    found.setdefault(item.pk.split("#", 1)[1], []).append(lot_from(item))
        return found


def member_id_of(pk: str) -> str:
    return pk.split("#", 1)[1]
