"""A member's points ledger in the table: one item per row at `LEDGER#<seq>`, read newest first."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import asdict, fields

from ..domain.errors import ValidationFailed
from ..domain.guards import Guard, Rule
from ..domain.points import LedgerRow
from . import keys
from .models import LedgerItem
from .unit_of_work import UnitOfWork, dynamodb

_ROW_FIELDS = [f.name for f in fields(LedgerRow)]


def _row_from(item: LedgerItem) -> LedgerRow:
    values = {name: getattr(item, name) for name in _ROW_FIELDS}  # numbers come back as int
    values["lots"] = tuple((str(lot_id), int(delta)) for lot_id, delta in item.lots or [])
    return LedgerRow(**values)


def stage_rows(uow: UnitOfWork, member_id: str, rows: Iterable[LedgerRow]) -> None:
    """Each row once: its sequence number is new in the member's partition."""
    for row in rows:
        values = asdict(row)
        values["lots"] = [[lot_id, delta] for lot_id, delta in row.lots]
        item = LedgerItem(pk=keys.member_pk(member_id), sk=keys.ledger_sk(row.seq), **values)
        uow.put(Guard(Rule.LEDGER_ROW_IS_NEW, str(row.seq)), item, LedgerItem.pk.does_not_exist())


class LedgerStore:
    def page(
        self, member_id: str, limit: int, cursor: str | None
    ) -> tuple[list[LedgerRow], str | None]:
        """Newest first; the cursor is opaque to callers (the last sequence number, encoded)."""
        before = _decode_cursor(cursor) if cursor else None
        if before is not None and before <= 1:
            return [], None
        upper = keys.ledger_sk(before - 1) if before is not None else keys.LEDGER_PREFIX + "~"
        with dynamodb():
            items = list(
                LedgerItem.query(
                    keys.member_pk(member_id),
                    LedgerItem.sk.between(keys.LEDGER_PREFIX, upper),
                    scan_index_forward=False,
                    limit=limit + 1,
                )
            )
        rows = [_row_from(item) for item in items]
        page, more = rows[:limit], len(rows) > limit
        return page, (_encode_cursor(page[-1].seq) if more and page else None)


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": seq}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("cursor is not one this API returned", param="cursor") from exc
    if not isinstance(value, int) or value < 0:
        raise ValidationFailed("cursor is not one this API returned", param="cursor")
    return value
