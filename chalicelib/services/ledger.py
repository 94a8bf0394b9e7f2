"""A member's points ledger, newest first, a page at a time."""

from __future__ import annotations

from typing import Protocol

from ..domain.outcomes import LedgerSlice
from ..store.ledger import LedgerStore
from ..store.members import MemberStore


class Needs(Protocol):
    members: MemberStore
    ledger: LedgerStore


def page(d: Needs, member_id: str, limit: int, cursor: str | None) -> LedgerSlice:
    d.members.member(member_id, merged_ok=True)  # a merged member's history stays readable
    rows, next_cursor = d.ledger.page(member_id, limit, cursor)
    return LedgerSlice(rows, next_cursor)
