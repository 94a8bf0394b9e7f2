"""A member's points ledger in the table: each write's rows in one journal item at
`LEDGER#<first seq>`, read newest first."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..domain.guards import Guard, Rule
from ..domain.points import LedgerRow
from . import cursors, keys
from .models import JournalItem
from .unit_of_work import UnitOfWork, dynamodb, scan_page

ROW_FIELDS = LedgerRow.__struct_fields__


def _encode(row: LedgerRow) -> list[Any]:
    values: list[Any] = []
    for name in ROW_FIELDS:
        value = getattr(row, name)
        if name == "lots":
            value = [[lot_id, delta] for lot_id, delta in value]
        elif name == "created_at":
            value = value.isoformat()
        values.append(value)
    return values


def _decode(values: list[Any]) -> LedgerRow:
    row = dict(zip(ROW_FIELDS, values, strict=True))
    row["lots"] = tuple((str(lot_id), int(delta)) for lot_id, delta in row["lots"])
    row["created_at"] = datetime.fromisoformat(row["created_at"])
    return LedgerRow(**row)


def rows_of(item: JournalItem) -> list[LedgerRow]:
    return [_decode(values) for values in json.loads(item.rows)]


def stage_rows(uow: UnitOfWork, member_id: str, rows: Sequence[LedgerRow]) -> None:
    """One journal item for the rows of one write; its first sequence number is new in the
    member's partition (and the member's version guards the numbering)."""
    if not rows:
        return
    item = JournalItem(
        pk=keys.member_pk(member_id),
        sk=keys.ledger_sk(rows[0].seq),
        first_seq=rows[0].seq,
        last_seq=rows[-1].seq,
        rows=json.dumps([_encode(row) for row in rows], separators=(",", ":")),
    )
    uow.put(Guard(Rule.LEDGER_ROW_IS_NEW, str(rows[0].seq)), item, JournalItem.pk.does_not_exist())


class LedgerStore:
    def scan(self, after: str | None, limit: int) -> tuple[list[tuple[str, LedgerRow]], str | None]:
        """Every member's ledger rows, a page of journal items at a time (the export)."""
        items, after = scan_page(JournalItem, after, limit)
        return [(item.pk.split("#", 1)[1], row) for item in items for row in rows_of(item)], after

    def page(
        self, member_id: str, limit: int, cursor: str | None
    ) -> tuple[list[LedgerRow], str | None]:
        """Newest first; the cursor is opaque to callers (the last sequence number, encoded).

        A journal item holds at least one row, so `limit + 1` items hold enough rows to fill the
        page and tell whether more follow; the item holding the cursor's row may also hold newer
        rows, which are left out."""
        before = cursors.decode(cursor) if cursor else None
        if before is not None and before <= 1:
            return [], None
        upper = keys.ledger_sk(before - 1) if before is not None else keys.LEDGER_PREFIX + "~"
        with dynamodb():
            items = list(
                JournalItem.query(
                    keys.member_pk(member_id),
                    JournalItem.sk.between(keys.LEDGER_PREFIX, upper),
                    scan_index_forward=False,
                    limit=limit + 1,
                )
            )
        rows = [row for item in items for row in reversed(rows_of(item))]
        if before is not None:
            rows = [row for row in rows if row.seq < before]
        page, more = rows[:limit], len(rows) > limit
        return page, (cursors.encode(page[-1].seq) if more and page else None)

    def all(self, member_id: str) -> list[LedgerRow]:
        """Every row, oldest first (reconciliation and tests; a member's whole history)."""
        with dynamodb():
            items = JournalItem.query(
                keys.member_pk(member_id), JournalItem.sk.startswith(keys.LEDGER_PREFIX)
            )
            return [row for item in items for row in rows_of(item)]
