"""Reconciliation: the books prove themselves. Pure checks of one member's stored figures, and
of the brand's running totals against the sum over its members.

Points: balance == Σ vested lot remainders; pending == Σ pending lot remainders;
balance + pending − debt == Σ ledger points (and each part == Σ its ledger deltas); no lot
below zero or above what it was given.
Stored value: principal and bonus each == Σ their entries; each entry's running balance follows
from the one before; top-ups − payments + refunds − withdrawals − expired bonus ± what member
merges moved, per part == what the wallet holds; bonus == Σ what each top-up's bonus has left;
no part below zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from msgspec import Struct

from .points import Balances, LedgerRow, Lot
from .wallet import Entry, Wallet


class Mismatch(Struct, frozen=True):
    check: str
    expected: int
    actual: int
    member_id: str | None = None
    detail: str = ""


class PointsFigures(Struct):
    balance: int = 0
    pending: int = 0
    debt: int = 0
    vested_lots: int = 0
    pending_lots: int = 0
    ledger_points: int = 0
    ledger_rows: int = 0


class WalletFigures(Struct):
    principal: int = 0
    bonus: int = 0
    topped_up: tuple[int, int] = (0, 0)  # (principal, bonus)
    paid: tuple[int, int] = (0, 0)
    refunded: tuple[int, int] = (0, 0)
    withdrawn: tuple[int, int] = (0, 0)
    expired: tuple[int, int] = (0, 0)
    merged: tuple[int, int] = (0, 0)  # taken in by member merges, less handed over
    entries: int = 0


def check_points(
    member_id: str, balances: Balances, lots: Iterable[Lot], rows: Iterable[LedgerRow]
) -> tuple[PointsFigures, list[Mismatch]]:
    lots, rows = list(lots), list(rows)
    figures = PointsFigures(
        balance=balances.balance,
        pending=balances.pending,
        debt=balances.debt,
        vested_lots=sum(lot.remaining for lot in lots if not lot.pending),
        pending_lots=sum(lot.remaining for lot in lots if lot.pending),
        ledger_points=sum(row.points for row in rows),
        ledger_rows=len(rows),
    )
    found = []

    def expect(check: str, expected: int, actual: int, detail: str = "") -> None:
        if expected != actual:
            found.append(Mismatch(check, expected, actual, member_id, detail))

    expect("points.balance_is_vested_lots", figures.vested_lots, balances.balance)
    expect("points.pending_is_pending_lots", figures.pending_lots, balances.pending)
    expect(
        "points.ledger_adds_up",
        figures.ledger_points,
        balances.balance + balances.pending - balances.debt,
    )
    expect("points.balance_is_ledger", sum(r.balance_delta for r in rows), balances.balance)
    expect("points.pending_is_ledger", sum(r.pending_delta for r in rows), balances.pending)
    expect("points.debt_is_ledger", sum(r.debt_delta for r in rows), balances.debt)
    if rows:
        last = rows[-1]
        expect("points.last_row_balance", last.balance_after, balances.balance)
    for lot in lots:
        if not 0 <= lot.remaining <= lot.points:
            found.append(
                Mismatch("points.lot_in_range", lot.points, lot.remaining, member_id, lot.lot_id)
            )
    for name, value in (("balance", balances.balance), ("pending", balances.pending)):
        if value < 0:
            found.append(Mismatch(f"points.{name}_not_negative", 0, value, member_id))
    return figures, found


def check_wallet(
    member_id: str, wallet: Wallet | None, entries: Iterable[Entry]
) -> tuple[WalletFigures, list[Mismatch]]:
    entries = list(entries)
    wallet = wallet or Wallet()
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    found = []

    def expect(check: str, expected: int, actual: int, detail: str = "") -> None:
        if expected != actual:
            found.append(Mismatch(check, expected, actual, member_id, detail))

    principal = bonus = 0
    for entry in entries:
        principal += entry.principal_delta
        bonus += entry.bonus_delta
        expect("wallet.running_principal", principal, entry.principal_after, f"entry {entry.seq}")
        expect("wallet.running_bonus", bonus, entry.bonus_after, f"entry {entry.seq}")
        by_kind[entry.kind][0] += entry.principal_delta
        by_kind[entry.kind][1] += entry.bonus_delta

    def part(kind: str, sign: int) -> tuple[int, int]:
        p, b = by_kind.get(kind, [0, 0])
        return sign * p, sign * b

    figures = WalletFigures(
        principal=wallet.principal,
        bonus=wallet.bonus,
        topped_up=part("topup", 1),
        paid=part("payment", -1),
        refunded=part("refund", 1),
        withdrawn=part("withdrawal", -1),
        expired=part("bonus_expire", -1),
        merged=_plus(part("merge_in", 1), part("merge_out", 1)),
        entries=len(entries),
    )
    expect("wallet.principal_is_entries", principal, wallet.principal)
    expect("wallet.bonus_is_entries", bonus, wallet.bonus)
    for i, name in ((0, "principal"), (1, "bonus")):
        flows = (
            figures.topped_up[i]
            - figures.paid[i]
            + figures.refunded[i]
            - figures.withdrawn[i]
            - figures.expired[i]
            + figures.merged[i]
        )
        held = wallet.principal if i == 0 else wallet.bonus
        expect(f"wallet.{name}_flows", flows, held)
        if held < 0:
            found.append(Mismatch(f"wallet.{name}_not_negative", 0, held, member_id))
    expect("wallet.bonus_is_grants", sum(g.left for g in wallet.grants), wallet.bonus)
    expect("wallet.entries_counted", wallet.seq, len(entries))
    for grant in wallet.grants:
        if grant.left < 0 or grant.spent < 0:
            found.append(
                Mismatch("wallet.grant_in_range", 0, grant.left, member_id, grant.payment_id)
            )
    return figures, found


def _plus(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return a[0] + b[0], a[1] + b[1]


class MemberBooks(Struct):
    member_id: str
    balances: Balances
    lots: list[Lot]
    rows: list[LedgerRow]
    wallet: Wallet | None
    entries: list[Entry]


FIELDS = ("points_balance", "points_pending", "points_debt", "wallet_principal", "wallet_bonus")


class Totals(Struct):
    points_balance: int = 0
    points_pending: int = 0
    points_debt: int = 0
    wallet_principal: int = 0
    wallet_bonus: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(getattr(self, f) + getattr(other, f) for f in FIELDS))


def points_value(points: int, rate_points: int, rate_amount: int) -> int:
    """What `points` are worth at the redemption rate (`rate_amount` per `rate_points`), in
    minor units, rounded down; a debt is worth nothing."""
    return max(points, 0) * rate_amount // rate_points


def figures_of(books: MemberBooks) -> tuple[dict[str, int], list[Mismatch]]:
    """One member's figures, by name (the reconciliation's `BookFigures`), and what its books
    got wrong."""
    points, found = check_points(books.member_id, books.balances, books.lots, books.rows)
    wallet, found_in_wallet = check_wallet(books.member_id, books.wallet, books.entries)
    figures = {
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
    return figures, found + found_in_wallet


def add_figures(into: dict[str, int], more: dict[str, int]) -> None:
    for name, value in more.items():
        into[name] = into.get(name, 0) + value


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


def totals_mismatches(summed: Totals, kept: Totals) -> list[Mismatch]:
    """The running totals (`kept`) against the sum over every member."""
    return [
        Mismatch(
            f"totals.{name}",
            getattr(summed, name),
            getattr(kept, name),
            None,
            "running total vs the sum over members",
        )
        for name in FIELDS
        if getattr(summed, name) != getattr(kept, name)
    ]
