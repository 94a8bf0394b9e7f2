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
