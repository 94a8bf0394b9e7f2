"""Reconciliation: check one member's books, or the brand's a page of members at a time, and
the running totals against the sum over members; and the liability those totals say."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Protocol

from ..domain.books import (
    MemberBooks,
    Mismatch,
    Totals,
    add_figures,
    as_of,
    figures_of,
    totals_mismatches,
)
from ..domain.errors import MemberNotFound, ValidationFailed
from ..domain.outcomes import Liability, Reconciled
from ..store.aggregates import AggregateStore
from ..store.books import BooksStore
from ..store.program import ProgramCache
from ..store.totals import TotalsStore
from .shared.writes import Clocked

SCAN_PAGE = 1000  # table items a scan call reads (DynamoDB stops at 1 MB anyway)


class Needs(Clocked, Protocol):
    books: BooksStore
    totals: TotalsStore
    aggregates: AggregateStore
    programs: ProgramCache


def liability(d: Needs) -> Liability:
    now = d.clock()
    return Liability(d.totals.read(), d.programs.require(), now, d.aggregates.watermark(now))


def member(d: Needs, member_id: str) -> Reconciled:
    books = d.books.member(member_id)
    if books is None:
        raise MemberNotFound(f"no member {member_id}", param="member_id")
    figures, found = figures_of(books)
    return Reconciled("member", 1, figures, found)


def brand_page(d: Needs, limit: int, cursor: str | None) -> Reconciled:
    """Up to `limit` members, from where `cursor` left off; a brand checked whole in one call
    also has its running totals compared with the sum over its members — both as of the
    figures' watermark (the stream consumer keeps the totals a second or so behind the
    members): each member's books as they stood then, so lag never reads as a mismatch."""
    after = _decode(cursor) if cursor else None
    now = d.clock()
    watermark = d.aggregates.watermark(now)  # read first: the members are read after it
    figures: dict[str, int] = {}
    at_watermark = Totals()
    found: list[Mismatch] = []
    checked = 0
    while checked < limit:
        member_keys, after = d.books.member_keys(after, min(SCAN_PAGE, 10 * limit))
        for books in _members(d, member_keys):
            more, wrong = figures_of(books)
            add_figures(figures, more)
            found += wrong
            at_watermark = at_watermark + as_of(books, watermark)
            checked += 1
        if after is None:
            break
    totals = None
    if cursor is None and after is None:
        kept = d.totals.read()
        found += totals_mismatches(at_watermark, kept)
        totals = Liability(kept, d.programs.require(), now, watermark)
    next_cursor = _encode(after) if after else None
    return Reconciled("brand", checked, figures, found, totals, next_cursor)


def _members(d: Needs, member_keys: list[tuple[str, str]]) -> list[MemberBooks]:
    found = (d.books.member(pk.split("#", 1)[1]) for pk, _ in member_keys)
    return [books for books in found if books is not None]


def _encode(after: str) -> str:
    return base64.urlsafe_b64encode(after.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        after = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        if not isinstance(json.loads(after), dict):
            raise ValueError("not a scan position")
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed("cursor is not one this API returned", param="cursor") from exc
    return after
