"""The pure points account: FIFO-by-expiry spending, clawback, debt, give-back, settlement."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import InsufficientPoints, RefundExceedsOrder
from chalicelib.domain.points import Balances, Lot, PointsAccount, plan_refund

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def lot(
    lot_id,
    points,
    *,
    days_left=100,
    earned_days_ago=10,
    pending=False,
    remaining=None,
    vests_in=None,
    order_id=None,
):
    return Lot(
        lot_id=lot_id,
        points=points,
        remaining=points if remaining is None else remaining,
        earned_at=NOW - timedelta(days=earned_days_ago),
        expires_at=NOW + timedelta(days=days_left),
        vests_at=NOW + timedelta(days=vests_in) if vests_in is not None else None,
        pending=pending,
        order_id=order_id,
    )


def account(*lots, debt=0):
    balance = sum(x.remaining for x in lots if not x.pending)
    pending = sum(x.remaining for x in lots if x.pending)
    return PointsAccount.load(Balances(balance, pending, debt, balance + pending), lots, NOW)


def test_redeem__takes_soonest_expiring_first_then_oldest():
    acct = account(
        lot("late", 100, days_left=300),
        lot("soon", 50, days_left=10),
        lot("soon-older", 30, days_left=10, earned_days_ago=50),
    )
    allocations = acct.redeem(120, "o", "r")
    assert allocations == [("soon-older", 30), ("soon", 50), ("late", 40)]
    assert acct.balances.balance == 60


def test_redeem__never_touches_pending_or_goes_below_zero():
    acct = account(lot("v", 100), lot("p", 500, pending=True, vests_in=3))
    with pytest.raises(InsufficientPoints):
        acct.redeem(200, "o", "r")
    assert acct.entries == [] and acct.balances.balance == 100


def test_claw_back__own_pending_lot_first_then_balance_then_debt():
    acct = account(lot("own", 100, pending=True, vests_in=3, remaining=40), lot("other", 30))
    acct.claw_back(100, "o", "own", "refund")
    entry = acct.entries[-1]
    assert (entry.pending_delta, entry.balance_delta, entry.debt_delta) == (-40, -30, 30)
    assert entry.points == -100
    # lifetime started at 70 (what the fixture loaded) and loses the 100 clawed back
    assert acct.balances == Balances(balance=0, pending=0, debt=30, lifetime=-30)


def test_debt__is_paid_by_the_next_vested_credit():
    acct = account(debt=30)
    acct.earn(lot("new", 50), "purchase")
    kinds = [(e.kind, e.points) for e in acct.entries]
    assert kinds == [("earn", 50), ("debt_repayment", 0)]
    assert (acct.balances.balance, acct.balances.debt) == (20, 0)
    assert acct.lots["new"].remaining == 20


def test_settle__vests_due_lots_and_expires_past_ones():
    acct = account(lot("due", 10, pending=True, vests_in=-1), lot("old", 5, days_left=-1))
    acct.settle()
    assert [e.kind for e in acct.entries] == ["vest", "expire"]
    assert (acct.balances.balance, acct.balances.pending) == (10, 0)


def test_give_back__returns_to_the_original_lot_with_its_expiry():
    acct = account(lot("a", 100, remaining=0, days_left=20))
    acct.give_back([("a", 60)], "o", "refund")
    assert acct.lots["a"].remaining == 60 and acct.lots["a"].expires_at == NOW + timedelta(20)
    assert acct.balances.balance == 60


def test_plan_refund__partial_refunds_add_up_to_one_full_refund():
    total_claw, returned_before, refunded = 0, 0, 0
    redeemed = [("a", 70, 0), ("b", 30, 0)]
    for part in (333, 333, 334):
        plan = plan_refund(
            order_amount=1000,
            refunded_before=refunded,
            refund_amount=part,
            points_earned=99,
            clawed_before=total_claw,
            redeemed=[(x, t, returned_before if x == "b" else 0) for x, t, _ in redeemed],
            expiry_of=lambda lot_id: NOW + timedelta(days=1 if lot_id == "a" else 9),
        )
        total_claw += plan.clawback
        refunded = plan.refunded_after
        returned_before += sum(n for x, n in plan.returns if x == "b")
    assert (total_claw, refunded) == (99, 1000)
    with pytest.raises(RefundExceedsOrder):
        plan_refund(
            order_amount=1000,
            refunded_before=1000,
            refund_amount=1,
            points_earned=99,
            clawed_before=99,
            redeemed=[],
            expiry_of=lambda _: None,
        )


def test_plan_refund__gives_back_latest_expiring_lots_first():
    plan = plan_refund(
        order_amount=100,
        refunded_before=0,
        refund_amount=50,
        points_earned=0,
        clawed_before=0,
        redeemed=[("soon", 100, 0), ("late", 100, 0)],
        expiry_of=lambda x: NOW + timedelta(days=1 if x == "soon" else 99),
    )
    assert plan.returns == [("late", 100)]
