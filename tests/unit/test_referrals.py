"""邀请, pure: codes as a person types them, which purchase rewards a referral, and which refund
takes the rewards back."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.referrals import (
    CODE_LENGTH,
    Referral,
    code_from,
    normalise_code,
    qualifies,
    taken_back_by,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
REWARDED = Referral(
    referrer_id="mem_a",
    enrolled_at=NOW,
    state="rewarded",
    order_id="o-1",
    vests_at=NOW + timedelta(days=7),
)


def test_codes__are_read_in_any_case_with_spaces_and_dashes():
    code = code_from(bytes(range(16)))
    assert len(code) == CODE_LENGTH
    typed = f" {code[:4].lower()}-{code[4:]} "
    assert normalise_code(typed) == code
    assert normalise_code(code[:-1]) is None  # one short
    assert normalise_code(code + code[0]) is None  # one long
    assert normalise_code(code[:-1] + "0") is None  # 0 is not in the alphabet (O is read for it)


def test_the_friends_first_purchase_of_the_minimum_rewards_a_waiting_referral_only():
    waiting = Referral(referrer_id="mem_a", enrolled_at=NOW)
    assert qualifies(waiting, 1_000, 1_000)
    assert not qualifies(waiting, 999, 1_000)
    assert not qualifies(None, 5_000, 1_000)
    assert not qualifies(REWARDED, 5_000, 1_000)  # rewarded once, waits no more


def test_a_refund_takes_the_rewards_back_only_within_the_window_and_below_the_minimum():
    def back(referral=REWARDED, order="o-1", refunded=600, amount=1_500, now=NOW):
        return taken_back_by(referral, order, refunded, amount, 1_000, now)

    assert back()  # 1,500 - 600 = 900 left, below 1,000, inside the window
    assert not back(refunded=500)  # exactly the minimum stays
    assert not back(refunded=400)
    assert not back(order="o-2")  # another order's refund
    assert not back(referral=None)
    assert not back(
        referral=Referral(referrer_id="mem_a", enrolled_at=NOW, order_id="o-1")
    )  # still waiting
    assert not back(
        referral=Referral(referrer_id="mem_a", enrolled_at=NOW, state="rewarded", order_id="o-1")
    )
    assert back(now=REWARDED.vests_at - timedelta(microseconds=1))
    assert not back(now=REWARDED.vests_at)  # vested: the rewards are kept


@pytest.mark.parametrize("state", ["waiting", "clawed_back"])
def test_only_a_rewarded_referral_is_taken_back(state):
    referral = Referral(
        referrer_id="mem_a",
        enrolled_at=NOW,
        state=state,
        order_id="o-1",
        vests_at=NOW + timedelta(1),
    )
    assert not taken_back_by(referral, "o-1", 1_500, 1_500, 1_000, NOW)
