"""Points through the services and the real store (moto): lots, pending, refunds, debt."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from chalicelib.domain.errors import InsufficientPoints
from chalicelib.store import keys
from chalicelib.store.ledger import LedgerStore
from chalicelib.store.models import LotItem
from tests.conftest import set_program
from tests.helpers import buy, enroll, member, redeem, refund


def ledger_of(member_id):
    return LedgerStore().all(member_id)


def lots_of(member_id):
    """Each order's lot; a spent lot is deleted, and shows here as one with nothing left."""
    live = {
        lot.order_id: lot
        for lot in LotItem.query(keys.member_pk(member_id), LotItem.sk.startswith(keys.LOT_PREFIX))
    }
    earned = {row.order_id for row in ledger_of(member_id) if row.kind == "earn"}
    spent = SimpleNamespace(remaining=0, pending=False)
    return {order_id: live.get(order_id, spent) for order_id in earned | set(live)}


def test_redemption__spans_several_lots_in_expiry_order(brand, clock):
    member_id = enroll(brand)
    buy(brand, member_id, "jan", 10_000)
    clock.advance(days=30)
    buy(brand, member_id, "feb", 10_000)
    clock.advance(days=30)
    buy(brand, member_id, "mar", 10_000)
    redeem(brand, member_id, "spend", 200)
    lots = lots_of(member_id)
    assert (lots["jan"].remaining, lots["feb"].remaining, lots["mar"].remaining) == (0, 0, 100)


def test_refund_after_redemption__gives_points_back_to_their_lots_with_original_expiry(
    brand, clock
):
    member_id = enroll(brand)
    buy(brand, member_id, "earn-1", 10_000)
    clock.advance(days=10)
    buy(brand, member_id, "earn-2", 10_000)
    before = lots_of(member_id)
    # the order that spent points is itself a purchase
    redeem(brand, member_id, "o-9", 200)
    assert lots_of(member_id)["earn-1"].remaining == 0  # spent to nothing: deleted
    buy(brand, member_id, "o-9", 5_000)
    refunded = refund(brand, member_id, "o-9", 5_000)
    assert refunded["points_returned"] == 200
    assert refunded["points_clawed_back"] == 50
    after = lots_of(member_id)
    assert after["earn-1"].remaining == 100 and after["earn-2"].remaining == 100
    assert after["earn-1"].expires_at == before["earn-1"].expires_at
    assert after["o-9"].remaining == 0
    assert member(brand, member_id).points_balance == 200


def test_partial_refund__gives_points_back_to_the_latest_expiring_lot_first(brand, clock):
    member_id = enroll(brand)
    buy(brand, member_id, "early", 10_000)
    clock.advance(days=40)
    buy(brand, member_id, "late", 10_000)
    redeem(brand, member_id, "o-9", 200)  # 100 from each lot, the early one first
    buy(brand, member_id, "o-9", 10_000)
    refunded = refund(brand, member_id, "o-9", 5_000)  # half: 100 of the 200 come back
    assert refunded["points_returned"] == 100
    lots = lots_of(member_id)
    # back to the lot that lives longest, which keeps the member's points alive longest
    assert (lots["early"].remaining, lots["late"].remaining) == (0, 100)


def test_points_given_back_after_their_day__expire_again_at_once(brand, clock):
    member_id = enroll(brand)
    buy(brand, member_id, "old", 10_000)  # 12-month rolling expiry
    clock.advance(days=300)
    redeem(brand, member_id, "o-9", 100)
    buy(brand, member_id, "o-9", 10_000)
    clock.advance(days=100)  # "old" has passed its day; "o-9" has not
    refunded = refund(brand, member_id, "o-9", 10_000)
    assert refunded["points_returned"] == 100
    assert refunded["member"]["points_balance"] == 0  # the 100 returned to "old" expired again
    ledger = [e.kind for e in ledger_of(member_id)]
    assert ledger[-3:] == ["clawback", "redeem_return", "expire"]
    assert lots_of(member_id)["old"].remaining == 0


def test_refund_of_spent_points__records_debt_that_later_earnings_pay_off(brand):
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 30_000)
    redeem(brand, member_id, "o-2", 300)
    refunded = refund(brand, member_id, "o-1", 30_000)
    assert refunded["points_clawed_back"] == 300
    assert refunded["member"]["points_debt"] == 300
    assert refunded["member"]["points_balance"] == 0
    buy(brand, member_id, "o-3", 50_000)
    after = member(brand, member_id)
    assert (after.points_balance, after.points_debt, after.lifetime_points) == (200, 0, 500)


def test_pending_points__vest_after_the_return_window_and_cannot_be_spent_before(brand, clock):
    set_program(brand, return_window_days=7)
    member_id = enroll(brand)
    bought = buy(brand, member_id, "o-1", 10_000)
    assert bought["points_status"] == "pending"
    assert (bought["member"]["points_pending"], bought["member"]["points_balance"]) == (100, 0)
    with pytest.raises(InsufficientPoints):
        redeem(brand, member_id, "o-2", 100)
    clock.advance(days=7, seconds=1)
    vested = member(brand, member_id)
    assert (vested.points_pending, vested.points_balance) == (0, 100)
    # a second read changes nothing more (vesting is exact and idempotent)
    assert member(brand, member_id) == vested


def test_refund_within_window__claws_back_pending_points_first(brand):
    set_program(brand, return_window_days=7)
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 10_000)
    refunded = refund(brand, member_id, "o-1", 4_000)
    assert refunded["points_clawed_back"] == 40
    assert refunded["member"]["points_pending"] == 60
    assert refunded["member"]["points_debt"] == 0


def test_points__expire_on_the_brand_local_day(brand, clock):
    member_id = enroll(brand)
    bought = buy(brand, member_id, "o-1", 10_000)
    expiry = bought["expires_at"]
    expires = datetime.fromisoformat(expiry)
    # earned at noon in Shanghai on 1 March 2026: spendable through 1 March 2027, local time
    assert bought["expires_on"] == "2027-03-01"
    assert expires == datetime(2027, 3, 1, 16, tzinfo=UTC)
    clock.now = expires - timedelta(seconds=1)
    assert member(brand, member_id).points_balance == 100
    clock.now = expires
    assert member(brand, member_id).points_balance == 0


def test_reading_a_member__reads_its_lots_only_once_one_is_due(brand, clock, monkeypatch):
    from botocore.client import BaseClient

    member_id = enroll(brand)
    for n in range(30):
        buy(brand, member_id, f"o-{n}", 10_000)
    calls = []
    original = BaseClient._make_api_call

    def recording(client, operation, params):
        calls.append(operation)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    assert member(brand, member_id).points_balance == 3_000
    assert calls == ["GetItem"]  # the member item alone, however many lots it holds
    calls.clear()
    clock.advance(days=366)  # every lot has passed its day (12-month rolling expiry)
    assert member(brand, member_id).points_balance == 0
    assert "Query" in calls and "TransactWriteItems" in calls  # read, expired, written
    calls.clear()
    assert member(brand, member_id).points_balance == 0
    assert calls == ["GetItem"]  # nothing left to fall due
    assert lots_of(member_id) and all(lot.remaining == 0 for lot in lots_of(member_id).values())


@pytest.mark.moto_slow  # 101 purchases: 169 s on moto
def test_reading_a_member_with_more_lots_due_than_one_transaction_holds__still_answers(
    brand, clock
):
    member_id = enroll(brand)
    for n in range(101):
        buy(brand, member_id, f"o-{n}", 100)
    assert member(brand, member_id).points_balance == 101
    clock.advance(days=366)
    assert member(brand, member_id).points_balance == 0  # settled as shown, written later
