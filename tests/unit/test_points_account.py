"""The pure points account: FIFO-by-expiry spending, clawback, debt, give-back, settlement."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


def test_ledger_rows__number_the_entries_and_carry_running_totals():
    from chalicelib.domain.points import ledger_rows

    a = account(lot("a", 100), debt=30)
    a.earn(lot("b", 50, vests_in=None), reason="earned")  # 50 in, 30 of it pays the debt
    a.redeem(100, "o-1", reason="spent")
    ids = iter(["e1", "e2", "e3"])
    rows = ledger_rows(a.entries, a.balances, last_seq=7, now=NOW, new_id=lambda: next(ids))
    assert [(r.seq, r.kind, r.entry_id) for r in rows] == [
        (8, "earn", "e1"),
        (9, "debt_repayment", "e2"),
        (10, "redeem", "e3"),
    ]
    # running totals replayed from the balances before the entries: 100 balance, 30 debt
    assert [(r.balance_after, r.pending_after, r.debt_after) for r in rows] == [
        (150, 0, 30),
        (120, 0, 0),
        (20, 0, 0),
    ]
    assert rows[-1].balance_after == a.balances.balance and rows[0].created_at == NOW
    assert [r.points for r in rows] == [50, 0, -100]


def test_ledger_rows__of_no_entries_are_none():
    from chalicelib.domain.points import ledger_rows

    assert ledger_rows([], Balances(5, 0, 0), last_seq=3, now=NOW, new_id=lambda: "x") == []


def entry_of(acct, kind):
    (found,) = [e for e in acct.entries if e.kind == kind]
    return found


def test_redeem__writes_one_entry_naming_each_lot_it_took_from():
    acct = account(lot("a", 30, days_left=5), lot("b", 100, days_left=50))
    acct.redeem(50, "o-1", "spent on o-1")
    e = entry_of(acct, "redeem")
    assert (e.points, e.balance_delta, e.pending_delta, e.debt_delta) == (-50, -50, 0, 0)
    assert (e.order_id, e.reason, e.lots) == ("o-1", "spent on o-1", (("a", -30), ("b", -20)))
    exchange = account(lot("a", 300))
    exchange.redeem(300, "exchange:t", "for a coupon", kind="exchange")
    assert [x.kind for x in exchange.entries] == ["exchange"]


def test_redeem__refuses_naming_the_points_and_what_is_spendable():
    acct = account(lot("a", 80))
    with pytest.raises(InsufficientPoints) as refused:
        acct.redeem(81, "o", "r")
    assert refused.value.param == "points" and "80 spendable" in refused.value.message
    acct.redeem(80, "o", "r")  # exactly the balance is fine
    assert acct.balances.balance == 0


def test_spendable__leaves_out_spent_pending_and_expired_lots():
    acct = account(
        lot("live", 10),
        lot("spent", 10, remaining=0),
        lot("one-left", 10, remaining=1),
        lot("waiting", 10, pending=True, vests_in=1),
        lot("at-its-end", 10, days_left=0),  # its instant has come: no longer spendable
        lot("forever", 10, days_left=0),
    )
    acct.lots["forever"].expires_at = None
    assert {x.lot_id for x in acct.spendable()} == {"live", "one-left", "forever"}
    assert acct.available == 21


def test_claw_back__entry_names_the_order_and_the_lots_it_took_from():
    acct = account(lot("own", 10), lot("other", 100, days_left=5))
    acct.claw_back(15, "o-1", "own", "refund of o-1")
    e = entry_of(acct, "clawback")
    assert (e.order_id, e.reason, e.lots) == ("o-1", "refund of o-1", (("own", -10), ("other", -5)))
    one = account(lot("own", 10))
    one.claw_back(1, "o-2", "own", "r")
    assert one.lots["own"].remaining == 9 and entry_of(one, "clawback").points == -1
    nothing = account(lot("own", 10))
    nothing.claw_back(0, "o-3", "own", "r")
    assert nothing.entries == []


def test_claw_back__skips_an_empty_own_lot_and_goes_on_to_the_others():
    acct = account(lot("own", 10, remaining=0), lot("b", 5, days_left=5), lot("c", 5))
    acct.claw_back(8, "o", "own", "r")
    assert entry_of(acct, "clawback").lots == (("b", -5), ("c", -3))
    gone = account(lot("b", 5))
    gone.claw_back(3, "o", "no-such-lot", "r")  # the order's lot is not loaded: others pay
    assert entry_of(gone, "clawback").lots == (("b", -3),)


def test_give_back__entry_names_the_order_lots_and_pays_debt_from_them():
    acct = account(lot("a", 100, remaining=0), debt=10)
    acct.give_back([("a", 1), ("a-none", 0)], "o-1", "given back")
    e = entry_of(acct, "redeem_return")
    assert (e.order_id, e.points, e.lots) == ("o-1", 1, (("a", 1),))
    paid = entry_of(acct, "debt_repayment")
    assert (paid.order_id, paid.points, paid.lots) == ("o-1", 0, (("a", -1),))
    assert acct.balances == Balances(balance=0, pending=0, debt=9, lifetime=0)


def test_settle__entries_say_which_lot_vested_or_expired():
    acct = account(
        lot("due", 10, pending=True, vests_in=-1, order_id="o-1"),
        lot("old", 5, days_left=-1, order_id="o-2"),
    )
    acct.settle()
    vest, expire = acct.entries
    assert (vest.kind, vest.order_id, vest.balance_delta, vest.pending_delta) == (
        "vest",
        "o-1",
        10,
        -10,
    )
    assert vest.lots == (("due", 0),)
    assert (expire.kind, expire.order_id, expire.lots) == ("expire", "o-2", (("old", -5),))
    assert acct.touched == {"due", "old"}


def test_earn__pending_when_it_vests_later_and_nothing_for_zero_points():
    acct = account()
    acct.earn(lot("p", 10, vests_in=1, order_id="o-1"), "later")
    e = entry_of(acct, "earn")
    assert (e.pending_delta, e.balance_delta, e.order_id, e.lots) == (10, 0, "o-1", (("p", 0),))
    assert acct.lots["p"].pending and acct.new_lot_ids == ["p"]
    acct.earn(lot("z", 0), "nothing")
    assert "z" not in acct.lots and len(acct.entries) == 1


def test_proportional__rounds_down_in_whole_points():
    from chalicelib.domain.points import proportional

    assert proportional(99, 1, 2) == 49 and isinstance(proportional(99, 1, 2), int)
    assert proportional(100, 1000, 1000) == 100


def test_plan_refund__too_much_names_the_amount():
    with pytest.raises(RefundExceedsOrder) as refused:
        plan_refund(
            order_amount=100,
            refunded_before=60,
            refund_amount=41,
            points_earned=0,
            clawed_before=0,
            redeemed=[],
            expiry_of=lambda _: None,
            currency="CNY",
        )
    assert refused.value.param == "amount" and "¥0.60 of ¥1.00" in refused.value.message


# -- an account loaded without its lots (nothing was due) ---------------------------------------


def test_without_lots__spendable_is_the_balance_and_earning_works():
    acct = PointsAccount.load(Balances(300, 0, 50, 350), None, NOW)
    assert not acct.complete and acct.available == 300
    acct.earn(lot("new", 100), reason="purchase")
    assert (acct.balances.balance, acct.balances.debt) == (350, 0)  # the debt paid first
    assert [e.kind for e in acct.entries] == ["earn", "debt_repayment"]


def test_without_lots__spending_asks_for_them():
    acct = PointsAccount.load(Balances(300, 0, 0, 300), None, NOW)
    for spend in (
        lambda: acct.redeem(100, "o-1", "spend"),
        lambda: acct.claw_back(100, "o-1", None, "refund"),
        lambda: acct.give_back([("a", 100)], "o-1", "refund"),
    ):
        with pytest.raises(RuntimeError, match="lots"):
            spend()
    assert acct.balances.balance == 300 and not acct.entries


def test_next_due__the_soonest_vest_of_a_pending_lot_or_expiry_of_a_vested_one():
    acct = account(
        lot("a", 100, days_left=50),
        lot("b", 100, days_left=40, pending=True, vests_in=7),
        lot("spent", 100, days_left=1, remaining=0),
    )
    assert acct.next_due(None) == NOW + timedelta(days=7)
    acct.balances.pending = 0
    acct.lots["b"].remaining = 0  # clawed back: nothing left to vest
    assert acct.next_due(None) == NOW + timedelta(days=50)
    # holding every lot, the account knows better than what was known before
    assert account(lot("c", 100)).next_due(NOW) == NOW + timedelta(days=100)
    never = lot("never", 100)
    never.expires_at = None
    assert account(never).next_due(None) is None


def test_next_due__without_lots_keeps_the_known_moment_unless_a_new_lot_is_sooner():
    known = NOW + timedelta(days=30)
    acct = PointsAccount.load(Balances(100, 0, 0, 100), None, NOW)
    acct.earn(lot("later", 100, days_left=365), reason="purchase")
    assert acct.next_due(known) == known
    acct.earn(lot("sooner", 100, days_left=3, vests_in=2), reason="purchase")
    assert acct.next_due(known) == NOW + timedelta(days=2)
    assert PointsAccount.load(Balances(), None, NOW).next_due(None) is None


def test_restore__brings_back_a_deleted_lot_empty_with_its_terms_to_give_back_into():
    acct = account(lot("a", 100))
    gone = lot("gone", 200, days_left=20)
    acct.restore(gone)
    acct.restore(lot("a", 999))  # a lot still held is left as it is
    assert acct.lots["gone"].remaining == 0 and acct.lots["gone"].expires_at == gone.expires_at
    assert acct.lots["a"].points == 100
    acct.give_back([("gone", 150)], "o-1", "refund")
    assert acct.lots["gone"].remaining == 150 and acct.balances.balance == 250
    assert "gone" not in acct.stored and "a" in acct.stored


def test_ledger_rows__carry_pending_totals_and_each_entrys_order():
    from chalicelib.domain.points import ledger_rows

    a = account(lot("p", 40, pending=True, vests_in=3, order_id="o-0"))  # 40 pending before
    a.earn(lot("q", 60, vests_in=5, order_id="o-1"), reason="earned, pending")
    a.claw_back(30, "o-1", "q", reason="refund")
    rows = ledger_rows(a.entries, a.balances, last_seq=0, now=NOW, new_id=lambda: "id")
    assert [(r.pending_delta, r.pending_after) for r in rows] == [(60, 100), (-30, 70)]
    assert [r.order_id for r in rows] == ["o-1", "o-1"]


def test_settle__a_lot_vests_at_the_very_moment_of_its_vesting_day_in_order():
    later = lot("later", 20, pending=True, vests_in=0)
    first = lot("first", 10, pending=True, vests_in=0)
    first.vests_at = later.vests_at - timedelta(hours=1)
    a = account(later, first, debt=15)
    a.settle()
    assert [e.lots[0][0] for e in a.entries if e.kind == "vest"] == ["first", "later"]
    # the debt is paid from the first lot to vest, then the next, each naming its order
    assert [e.lots for e in a.entries if e.kind == "debt_repayment"] == [
        (("first", -10),),
        (("later", -5),),
    ]
    assert a.balances.balance == 15 and a.balances.debt == 0


lots_strategy = st.lists(
    st.tuples(st.integers(1, 500), st.integers(0, 500), st.booleans(), st.integers(1, 400)),
    max_size=12,
)


@given(
    source=lots_strategy,
    target=lots_strategy,
    source_debt=st.integers(0, 300),
    target_debt=st.integers(0, 300),
    step=st.integers(1, 5),
)
def test_a_merge_in_steps__moves_every_lot_as_it_was_and_loses_no_point(
    source, target, source_debt, target_debt, step
):
    def built(prefix, specs, debt):
        made = []
        for n, (points, left, pending, days) in enumerate(specs):
            made.append(
                lot(
                    f"{prefix}{n}",
                    points,
                    remaining=min(left, points),
                    days_left=days,
                    pending=pending,
                    vests_in=days if pending else None,
                )
            )
        return made

    give_lots, take_lots = built("s", source, source_debt), built("t", target, target_debt)
    giving, taking = account(*give_lots, debt=source_debt), account(*take_lots, debt=target_debt)
    worth = lambda a: a.balances.balance + a.balances.pending - a.balances.debt  # noqa: E731
    before = worth(giving) + worth(taking)
    lifetime = giving.balances.lifetime + taking.balances.lifetime
    while True:
        handover = giving.hand_over(step, into="t")
        taking.take_over(handover, "s")
        assert len(handover.lots) <= step
        if handover.last:
            break
    assert giving.balances == Balances(0, 0, 0, 0)
    assert worth(taking) == before and taking.balances.lifetime == lifetime
    moved = {x.lot_id: (x.points, x.expires_at, x.pending) for x in give_lots if x.remaining}
    held = {x.lot_id: (x.points, x.expires_at, x.pending) for x in taking.lots.values()}
    assert moved.items() <= held.items()  # each with its own points, expiry and vesting
    assert sum(e.points for e in giving.entries) == -sum(
        e.points for e in taking.entries if e.kind == "merge_in"
    )
    # a debt left is only what nothing spendable could pay
    assert taking.balances.debt == 0 or taking.available == 0
    assert taking.balances.balance == sum(
        x.remaining for x in taking.lots.values() if not x.pending
    )


def test_restore__brings_back_a_spent_lot_empty_and_vested_and_leaves_a_held_one_alone():
    held = lot("held", 100, remaining=40)
    acct = account(held)
    acct.restore(lot("gone", 300, pending=True, vests_in=3))
    acct.restore(lot("held", 100))
    assert (acct.lots["gone"].remaining, acct.lots["gone"].pending) == (0, False)
    assert acct.lots["held"].remaining == 40
