"""What reconciliation reads: one member's books as stored (one query of its partition), the
brand's members a page at a time (a scan of member keys, never the table in memory), and the
mismatches found (`BOOKS#<day>`, sk the member: written once, the stream makes each a
`books.mismatch` event)."""

from __future__ import annotations

import json
from datetime import date, datetime

from pynamodb.exceptions import PutError

from ..domain.books import MemberBooks, Mismatch
from ..domain.points import Balances
from . import keys
from .ledger import rows_of
from .members import lot_from
from .models import (
    BooksMismatchItem,
    Item,
    JournalItem,
    LotItem,
    MemberItem,
    WalletEntryItem,
    WalletItem,
)
from .unit_of_work import dynamodb
from .wallet import entry_from, wallet_from

SCAN_SEGMENTS = keys.DUE_SHARDS
MISMATCH_KEPT_DAYS = 400


def members_pk(segment: int) -> str:
    """A reconciliation job's partition: one segment of a parallel scan of member items."""
    return keys.shard_key("MEMBERS", "all", segment)


class BooksStore:
    def member(self, member_id: str) -> MemberBooks | None:
        """The member's stored figures, lots, ledger, wallet and entries: one query (paged by
        DynamoDB) of its partition."""
        balances, lots, rows, wallet, entries = None, [], [], None, []
        with dynamodb():
            for item in Item.query(keys.member_pk(member_id)):
                if isinstance(item, MemberItem):
                    balances = Balances(
                        int(item.points_balance),
                        int(item.points_pending),
                        int(item.points_debt),
                        int(item.lifetime_points),
                    )
                elif isinstance(item, LotItem):
                    lots.append(lot_from(item))
                elif isinstance(item, JournalItem):
                    rows.extend(rows_of(item))
                elif isinstance(item, WalletItem):
                    wallet = wallet_from(item)
                elif isinstance(item, WalletEntryItem):
                    entries.append(entry_from(item))
        if balances is None:
            return None
        return MemberBooks(member_id, balances, lots, rows, wallet, entries)

    def member_keys(
        self, after: str | None, limit: int, segment: int | None = None
    ) -> tuple[list[tuple[str, str]], str | None]:
        """The member items' keys among the next `limit` items of the table scan (or of one of
        its `SCAN_SEGMENTS` segments), and where the scan goes on (None: done)."""
        connection = Item._get_connection()
        with dynamodb():
            found = connection.scan(
                filter_condition=Item.sk == keys.MEMBER_SK,
                attributes_to_get=["pk", "sk"],
                exclusive_start_key=json.loads(after) if after else None,
                limit=limit,
                segment=segment,
                total_segments=None if segment is None else SCAN_SEGMENTS,
            )
        page = [(item["pk"]["S"], item["sk"]["S"]) for item in found.get("Items", [])]
        last = found.get("LastEvaluatedKey")
        return page, (json.dumps(last, sort_keys=True) if last else None)

    def record_mismatches(
        self, day: date, member_id: str, found: list[Mismatch], now: datetime
    ) -> bool:
        """Keep the night's mismatches of a member, once (False: already kept)."""
        item = BooksMismatchItem(
            pk=f"BOOKS#{day.isoformat()}",
            sk=member_id,
            member_id=member_id,
            business_date=day.isoformat(),
            mismatches=json.dumps(
                [
                    {
                        "check": m.check,
                        "expected": m.expected,
                        "actual": m.actual,
                        "detail": m.detail,
                    }
                    for m in found
                ],
                separators=(",", ":"),
            ),
            created_at=now,
            ttl=int(now.timestamp()) + MISMATCH_KEPT_DAYS * 86_400,
        )
        with dynamodb():
            try:
                item.save(condition=BooksMismatchItem.pk.does_not_exist())
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
                return False
        return True
