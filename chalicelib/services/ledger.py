"""A member's points ledger, newest first, a page at a time."""

from __future__ import annotations

from ..contract.ledger import LedgerPage
from .deps import Deps
from .shared.presenters import ledger_page


def page(deps: Deps, member_id: str, limit: int, cursor: str | None) -> LedgerPage:
    deps.members.member(member_id, merged_ok=True)  # a merged member's history stays readable
    rows, next_cursor = deps.ledger.page(member_id, limit, cursor)
    return ledger_page(rows, next_cursor)
