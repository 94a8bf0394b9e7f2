"""The wallet's rules, pure: the split of a payment, refunds and withdrawals to the cent, bonus
expiry, and the reconciliation checks finding what was tampered with."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import hypothesis.strategies as st
import pytest
from hypothesis import given
from msgspec.structs import replace

from chalicelib.domain.books import check_wallet
from chalicelib.domain.errors import InsufficientFunds, WalletFrozen, WithdrawalRefused
from chalicelib.domain.program import TopupBonus, WalletRules
from chalicelib.domain.wallet import (
    TopupTerms,
    Wallet,
    last_day,
    refund_parts,
    split,
    take_back_share,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
ORDERS = st.sampled_from(["proportional", "bonus_first", "principal_first"])


@given(st.integers(0, 10**9), st.integers(0, 10**9), st.data(), ORDERS)
def test_a_payment_never_takes_more_of_a_part_than_it_holds(principal, bonus, data, order):
    amount = data.draw(st.integers(0, principal + bonus))
    from_bonus = split(amount, principal, bonus, order)
    assert 0 <= from_bonus <= bonus
    assert 0 <= amount - from_bonus <= principal


@given(st.integers(1, 10**7), st.integers(0, 10**7), st.lists(st.integers(1, 10**6), max_size=8))
def test_refunds_in_parts_add_up_to_the_payment_exactly(principal, bonus, parts):
    paid = principal + bonus
    refunded = bonus_back = principal_back = 0
    for part in parts:
        part = min(part, paid - refunded)
        if not part:
            break
        p, b = refund_parts(principal, bonus, refunded, bonus_back, part)
        assert p >= 0 and b >= 0 and p + b == part
        refunded, bonus_back, principal_back = refunded + part, bonus_back + b, principal_back + p
    if refunded < paid:
        p, b = refund_parts(principal, bonus, refunded, bonus_back, paid - refunded)
        bonus_back, principal_back = bonus_back + b, principal_back + p
    assert (principal_back, bonus_back) == (principal, bonus)


@given(st.integers(1, 10**7), st.integers(0, 10**6), st.data())
def test_withdrawing_a_top_up_in_full_takes_back_all_of_its_bonus(amount, bonus, data):
    first = data.draw(st.integers(0, amount))
    share = take_back_share(amount, bonus, first)
    assert 0 <= share <= bonus
    assert take_back_share(amount, bonus, amount) == bonus


def test_the_seeds_example_to_the_cent():
    rules = WalletRules(topup_bonuses=[TopupBonus(min_amount=50_000, bonus=5_000)])
    wallet = Wallet()
    wallet.top_up("pay-1", 50_000, rules.bonus_for(50_000).bonus, None, "top-up", NOW)
    entry, drawn = wallet.charge("o-1", 10_000, "proportional", NOW)
    assert (entry.principal_delta, entry.bonus_delta, drawn) == (-9_091, -909, [("pay-1", 909)])
    terms = TopupTerms("pay-1", 50_000, 5_000)
    assert wallet.most_withdrawable(terms) == 40_909
    done = wallet.withdraw(terms, 40_909, NOW)
    assert (done.paid_out, done.bonus_taken, done.kept_for_spent_bonus) == (40_909, 4_091, 0)
    assert (wallet.principal, wallet.bonus) == (0, 0)
    assert check_wallet("m", wallet, _entries(wallet))[1] == []


def test_the_best_rule_applies_and_none_below_the_first_step():
    rules = WalletRules(
        topup_bonuses=[
            TopupBonus(min_amount=50_000, bonus=5_000),
            TopupBonus(min_amount=100_000, bonus=12_000),
        ]
    )
    assert rules.bonus_for(49_999) is None
    assert rules.bonus_for(99_999).bonus == 5_000
    assert rules.bonus_for(100_000).bonus == 12_000
    with pytest.raises(ValueError, match="repeat"):
        WalletRules(topup_bonuses=[TopupBonus(min_amount=1, bonus=1)] * 2)


def test_bonus_expires_soonest_first_and_a_frozen_wallet_refuses_payments():
    wallet = Wallet()
    wallet.top_up("early", 10_000, 1_000, NOW + timedelta(days=5), "top-up", NOW)
    wallet.top_up("late", 10_000, 1_000, NOW + timedelta(days=50), "top-up", NOW)
    _, drawn = wallet.charge("o-1", 10_000, "bonus_first", NOW)
    assert drawn == [("early", 1_000), ("late", 1_000)]
    wallet.top_up("again", 10_000, 500, NOW + timedelta(days=1), "top-up", NOW)
    assert wallet.settle(NOW + timedelta(days=2)) == 500
    assert wallet.bonus == 0 and wallet.entries[-1].kind == "bonus_expire"
    with pytest.raises(InsufficientFunds):
        wallet.charge("o-2", wallet.balance + 1, "proportional", NOW)
    wallet.set_frozen(True, "check", NOW)
    with pytest.raises(WalletFrozen):
        wallet.charge("o-3", 1, "proportional", NOW)
    with pytest.raises(WalletFrozen):
        wallet.withdraw(TopupTerms("early", 10_000, 1_000), 1, NOW)
    assert check_wallet("m", wallet, _entries(wallet))[1] == []


def test_a_withdrawal_past_what_is_left_is_refused_and_changes_nothing():
    wallet = Wallet(currency="CNY")
    wallet.top_up("p", 10_000, 0, None, "top-up", NOW)
    before = (wallet.principal, wallet.seq)
    with pytest.raises(WithdrawalRefused, match=r"only ¥100\.00"):
        wallet.withdraw(TopupTerms("p", 10_000, 0), 10_001, NOW)
    assert (wallet.principal, wallet.seq) == before


def test_reconciliation_finds_a_tampered_wallet():
    wallet = Wallet()
    wallet.top_up("p", 10_000, 1_000, None, "top-up", NOW)
    wallet.charge("o", 2_000, "proportional", NOW)
    entries = _entries(wallet)
    assert check_wallet("m", wallet, entries)[1] == []
    richer = replace(wallet, principal=wallet.principal + 1)
    checks = {m.check for m in check_wallet("m", richer, entries)[1]}
    assert {"wallet.principal_is_entries", "wallet.principal_flows"} <= checks
    skipped = check_wallet("m", wallet, entries[:1])[1]
    assert {m.check for m in skipped} >= {"wallet.entries_counted", "wallet.bonus_is_entries"}
    lost_grant = replace(wallet, grants=[])
    assert "wallet.bonus_is_grants" in {m.check for m in check_wallet("m", lost_grant, entries)[1]}


def _entries(wallet: Wallet):
    """Every entry the wallet wrote (kept here as the store keeps them)."""
    return list(wallet.entries)


@given(
    st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 10**5)), min_size=1, max_size=4),
    st.lists(st.integers(1, 10**6), max_size=4),
    st.integers(0, 10**5),
    ORDERS,
)
def test_a_merge_moves_every_minor_unit_and_both_wallets_still_reconcile(
    topups, payments, survivor_has, order
):
    merged, survivor = Wallet(), Wallet()
    for n, (amount, bonus) in enumerate(topups):
        merged.top_up(f"pay-{n}", amount, bonus, None, "top-up", NOW)
    for n, amount in enumerate(payments):
        if amount <= merged.balance:
            merged.charge(f"o-{n}", amount, order, NOW)
    if survivor_has:
        survivor.top_up("own", survivor_has, 0, None, "top-up", NOW)
    held = (merged.principal + survivor.principal, merged.bonus + survivor.bonus)

    handover = merged.hand_over("mem_b", NOW)
    survivor.take_over(handover, "mem_a", NOW)

    assert (merged.principal, merged.bonus, merged.grants) == (0, 0, [])
    assert (survivor.principal, survivor.bonus) == held
    assert check_wallet("mem_a", merged, _entries(merged))[1] == []
    assert check_wallet("mem_b", survivor, _entries(survivor))[1] == []
    # each top-up of the merged member withdraws at the survivor, its bonus share taken back
    for n, (amount, bonus) in enumerate(topups):
        terms = TopupTerms(f"pay-{n}", amount, bonus)
        most = survivor.most_withdrawable(terms)
        if most:
            survivor.withdraw(terms, most, NOW)
    assert check_wallet("mem_b", survivor, _entries(survivor))[1] == []


def test_a_frozen_wallet_handed_over_freezes_the_one_taking_it():
    merged, survivor = Wallet(), Wallet()
    merged.top_up("p", 10_000, 1_000, None, "top-up", NOW)
    merged.set_frozen(True, "chargeback", NOW)
    survivor.take_over(merged.hand_over("mem_b", NOW), "mem_a", NOW)
    assert survivor.frozen and "mem_a" in survivor.frozen_reason
    assert [e.kind for e in survivor.entries] == ["merge_in", "freeze"]
    with pytest.raises(WalletFrozen):
        survivor.charge("o", 1, "proportional", NOW)


def test_a_merge_says_what_it_moved_in_the_brands_currency_on_both_sides():
    merged, survivor = Wallet(), Wallet()
    survivor.top_up("p-0", 1_000, 100, NOW + timedelta(days=30), "top-up", NOW)
    merged.top_up("p-1", 50_000, 5_000, NOW + timedelta(days=30), "top-up", NOW)
    handover = merged.hand_over("mem_a", NOW, "CNY")
    assert (handover.principal, handover.bonus, len(handover.grants)) == (50_000, 5_000, 1)
    assert handover.currency == "CNY" and not handover.frozen and merged.grants == []
    out = merged.entries[-1]
    assert (out.kind, out.principal_delta, out.bonus_delta, out.reference) == (
        "merge_out",
        -50_000,
        -5_000,
        "mem_a",
    )
    assert (
        out.reason == "merged into mem_a: ¥500.00 principal, ¥50.00 bonus (1 top-up bonus record)"
    )
    survivor.take_over(handover, "mem_b", NOW)
    into = survivor.entries[-1]
    assert (into.kind, into.reference, into.created_at) == ("merge_in", "mem_b", NOW)
    assert into.reason.startswith("merged from mem_b: ¥500.00 principal")
    assert len(survivor.grants) == 2  # its own top-up bonus and the one taken over
    two = replace(handover, grants=handover.grants * 2, currency="USD")
    assert two.describe() == "$500.00 principal, $50.00 bonus (2 top-up bonus records)"


def test_a_frozen_handover_carries_its_reason_and_freezes_at_the_merge():
    merged, survivor = Wallet(), Wallet()
    merged.set_frozen(True, "chargeback", NOW)
    handover = merged.hand_over("mem_a", NOW)
    assert handover.frozen and handover.frozen_reason == "chargeback"
    later = NOW + timedelta(hours=1)
    survivor.take_over(handover, "mem_b", later)
    assert survivor.entries[-1].created_at == later
    assert survivor.frozen_reason.endswith("mem_b: chargeback")


def test_a_bonus_expiring_at_midnight_is_spendable_through_the_day_before():
    shanghai = ZoneInfo("Asia/Shanghai")
    midnight = datetime(2026, 12, 31, tzinfo=shanghai).astimezone(UTC)  # 16:00 UTC the day before
    assert last_day(midnight, shanghai) == date(2026, 12, 30)
    assert last_day(midnight + timedelta(microseconds=1), shanghai) == date(2026, 12, 31)
    assert last_day(midnight, ZoneInfo("UTC")) == date(2026, 12, 30)
