"""Reconciliation: check one member's books, or the brand's a page of members at a time, and
the running totals against the sum over members; and the liability those totals say."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from ..contract.figures import BookFigures, LiabilityOut, MismatchOut, ReconciliationOut
from ..domain.books import Mismatch, check_points, check_wallet
from ..domain.errors import MemberNotFound, ValidationFailed
from ..store.books import MemberBooks
from ..store.totals import Totals
from .deps import Deps
from .shared.liability import liability_of

SCAN_PAGE = 1000  # table items a scan call reads (DynamoDB stops at 1 MB anyway)


def check(books: MemberBooks, figures: BookFigures) -> list[Mismatch]:
    """One member's checks, its figures added to `figures`."""
    points, found = check_points(books.member_id, books.balances, books.lots, books.rows)
    wallet, found_in_wallet = check_wallet(books.member_id, books.wallet, books.entries)
    add = {
        "points_balance": points.balance,
        "points_pending": points.pending,
        "points_debt": points.debt,
        "points_in_vested_lots": points.vested_lots,
        "points_in_pending_lots": points.pending_lots,
        "ledger_points": points.ledger_points,
        "ledger_rows": points.ledger_rows,
        "wallet_principal": wallet.principal,
        "wallet_bonus": wallet.bonus,
        "topped_up_principal": wallet.topped_up[0],
        "topped_up_bonus": wallet.topped_up[1],
        "paid_principal": wallet.paid[0],
        "paid_bonus": wallet.paid[1],
        "refunded_principal": wallet.refunded[0],
        "refunded_bonus": wallet.refunded[1],
        "withdrawn_principal": wallet.withdrawn[0],
        "withdrawn_bonus": wallet.withdrawn[1],
        "expired_bonus": wallet.expired[1],
        "wallet_entries": wallet.entries,
    }
    for name, value in add.items():
        setattr(figures, name, getattr(figures, name) + value)
    return found + found_in_wallet


def to_out(m: Mismatch) -> MismatchOut:
    return MismatchOut(
        check=m.check, member_id=m.member_id, expected=m.expected, actual=m.actual, detail=m.detail
    )


def liability(deps: Deps) -> LiabilityOut:
    now = deps.clock()
    return liability_of(
        deps.totals.read(), deps.programs.require(), now, deps.aggregates.watermark(now)
    )


def member(deps: Deps, member_id: str) -> ReconciliationOut:
    books = deps.books.member(member_id)
    if books is None:
        raise MemberNotFound(f"no member {member_id}", param="member_id")
    figures = BookFigures()
    found = check(books, figures)
    return ReconciliationOut(
        ok=not found,
        scope="member",
        members_checked=1,
        figures=figures,
        mismatches=[to_out(m) for m in found],
    )


def as_of(books: MemberBooks, moment: datetime | None) -> Totals:
    """A member's balances as they stood at `moment` (nothing before it: zero), from its
    ledger rows and wallet entries, which keep the running figures after each write."""
    if moment is None:
        return Totals()
    row = next((r for r in reversed(books.rows) if r.created_at <= moment), None)
    entry = next((e for e in reversed(books.entries) if e.created_at <= moment), None)
    return Totals(
        points_balance=row.balance_after if row else 0,
        points_pending=row.pending_after if row else 0,
        points_debt=row.debt_after if row else 0,
        wallet_principal=entry.principal_after if entry else 0,
        wallet_bonus=entry.bonus_after if entry else 0,
    )


def totals_mismatches(figures: BookFigures | Totals, totals: Totals) -> list[Mismatch]:
    """The running totals against the sum over every member."""
    pairs = (
        ("points_balance", figures.points_balance, totals.points_balance),
        ("points_pending", figures.points_pending, totals.points_pending),
        ("points_debt", figures.points_debt, totals.points_debt),
        ("wallet_principal", figures.wallet_principal, totals.wallet_principal),
        ("wallet_bonus", figures.wallet_bonus, totals.wallet_bonus),
    )
    return [
        Mismatch(f"totals.{name}", summed, kept, None, "running total vs the sum over members")
        for name, summed, kept in pairs
        if summed != kept
    ]


def brand_page(deps: Deps, limit: int, cursor: str | None) -> ReconciliationOut:
    """Up to `limit` members, from where `cursor` left off; a brand checked whole in one call
    also has its running totals compared with the sum over its members — both as of the
    figures' watermark (the stream consumer keeps the totals a second or so behind the
    members): each member's books as they stood then, so lag never reads as a mismatch."""
    after = _decode(cursor) if cursor else None
    now = deps.clock()
    watermark = deps.aggregates.watermark(now)  # read first: the members are read after it
    figures = BookFigures()
    at_watermark = Totals()
    found: list[Mismatch] = []
    checked = 0
    while checked < limit:
        member_keys, after = deps.books.member_keys(after, min(SCAN_PAGE, 10 * limit))
        for pk, _ in member_keys:
            books = deps.books.member(pk.split("#", 1)[1])
            if books is not None:
                found += check(books, figures)
                at_watermark = at_watermark + as_of(books, watermark)
                checked += 1
        if after is None:
            break
    totals = None
    if cursor is None and after is None:
        kept = deps.totals.read()
        found += totals_mismatches(at_watermark, kept)
        totals = liability_of(kept, deps.programs.require(), now, watermark)
    return ReconciliationOut(
        ok=not found,
        scope="brand",
        members_checked=checked,
        figures=figures,
        mismatches=[to_out(m) for m in found],
        totals=totals,
        next_cursor=_encode(after) if after else None,
    )


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
