"""The points side of reconciliation: stored figures that disagree with the lots or the ledger
are named, check by check."""

from datetime import UTC, datetime

from chalicelib.domain.books import check_points
from chalicelib.domain.points import Balances, LedgerRow, Lot

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def lot(lot_id: str, remaining: int, pending: bool = False) -> Lot:
    return Lot(lot_id, 100, remaining, NOW, None, None, pending)


def row(seq: int, balance: int, pending: int = 0, after: int = 0) -> LedgerRow:
    return LedgerRow(
        f"e{seq}",
        seq,
        "earn",
        balance + pending,
        balance,
        pending,
        0,
        after,
        0,
        0,
        "",
        None,
        (),
        NOW,
    )


def test_books_that_add_up_pass_and_each_kind_of_drift_is_named():
    lots = [lot("a", 60), lot("b", 100, pending=True)]
    rows = [row(1, 100, after=100), row(2, -40, after=60), row(3, 0, pending=100, after=60)]
    good = Balances(balance=60, pending=100)
    figures, found = check_points("m", good, lots, rows)
    assert found == [] and figures.ledger_points == 160
    drifted = check_points("m", Balances(balance=61, pending=100), lots, rows)[1]
    assert {m.check for m in drifted} == {
        "points.balance_is_vested_lots",
        "points.ledger_adds_up",
        "points.balance_is_ledger",
        "points.last_row_balance",
    }
    assert drifted[0].expected == 60 and drifted[0].actual == 61
    broken_lot = check_points("m", good, [lot("a", 60), lot("b", 101, pending=True)], rows)[1]
    assert {m.check for m in broken_lot} == {
        "points.pending_is_pending_lots",
        "points.lot_in_range",
    }
