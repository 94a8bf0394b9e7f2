"""Concurrent checkouts: each DynamoDB call is serialised (as DynamoDB makes each call atomic),
so only the application's own read-then-write races remain — which is what these look for."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

from chalicelib.contract import EnrollRequest, MergeRequest, PurchaseRequest, RedemptionRequest
from chalicelib.domain.errors import ConcurrentUpdate, InsufficientPoints, MemberMerged
from chalicelib.domain.program import Limits
from chalicelib.services import members, merges, purchases, reconciliation, redemptions
from chalicelib.services.shared.writes import Idem
from chalicelib.store import keys
from chalicelib.store.ledger import LedgerStore
from chalicelib.store.models import Item
from tests.conftest import set_program
from tests.helpers import buy, enroll, member


def _ledger(member_id):
    return LedgerStore().all(member_id)


def test_twenty_threads_redeeming_the_same_balance_never_overdraw(brand):
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 50_000)  # 500 points: room for 5 of the 20 redemptions

    def attempt(n):
        request = RedemptionRequest(order_id=f"r-{n}", points=100)
        try:
            return json.loads(redemptions.redeem(brand, member_id, request, None).body)
        except (InsufficientPoints, ConcurrentUpdate) as exc:
            return exc

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(20)))
    succeeded = [r for r in results if isinstance(r, dict)]
    assert len(succeeded) == 5
    after = member(brand, member_id)
    assert after.points_balance == 0 and after.points_debt == 0
    redeemed = [e for e in _ledger(member_id) if e.kind == "redeem"]
    assert len(redeemed) == 5 and sum(e.points for e in redeemed) == -500


def test_same_order_from_many_threads_with_fresh_keys_earns_once(brand):
    member_id = enroll(brand)
    request = PurchaseRequest(order_id="o-1", amount=10_000, currency="CNY")

    def attempt(n):
        return purchases.purchase(brand, member_id, request, Idem("key", f"k-{n}", f"h-{n}")).body

    with ThreadPoolExecutor(max_workers=10) as pool:
        bodies = set(pool.map(attempt, range(10)))
    assert len(bodies) == 1
    assert member(brand, member_id).points_balance == 100
    assert [e.kind for e in _ledger(member_id)] == ["earn"]


def test_same_phone_enrolled_concurrently_is_one_member(brand):
    def attempt(n):
        return json.loads(members.enroll(brand, EnrollRequest(phone="13800138000"), None).body)

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = {m["member_id"] for m in pool.map(attempt, range(10))}
    assert len(ids) == 1
    stored = [item for item in Item.scan() if item.sk == keys.MEMBER_SK]
    assert len(stored) == 1


def test_a_transaction_conflict__is_retried_and_the_write_lands_once(brand, monkeypatch):
    """DynamoDB cancels a transaction that races another on the same item with
    `TransactionConflict` (neither engine here produces one on demand): the write is read
    again and retried, and lands exactly once."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    member_id = enroll(brand)
    original = BaseClient._make_api_call
    conflicts = []

    def racing(self, operation, params):
        if operation == "TransactWriteItems" and not conflicts:
            conflicts.append(operation)
            reasons = [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (
                len(params["TransactItems"]) - 1
            )
            error = {
                "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                "CancellationReasons": reasons,
            }
            raise ClientError(error, operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", racing)
    bought = buy(brand, member_id, "o-1", 10_000)
    assert conflicts and bought["points_earned"] == 100
    assert member(brand, member_id).points_balance == 100
    assert [e.kind for e in _ledger(member_id)] == ["earn"]


def test_ten_tills_at_once_never_earn_past_the_daily_limit(brand):
    set_program(brand, limits=Limits(max_points_per_member_per_day=120))
    member_id = enroll(brand)

    def attempt(n):
        request = PurchaseRequest(order_id=f"o-{n}", amount=5_000, currency="CNY")
        try:
            return json.loads(purchases.purchase(brand, member_id, request, None).body)
        except ConcurrentUpdate as exc:
            return exc

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(attempt, range(10)))
    answers = [r for r in results if isinstance(r, dict)]
    assert sum(a["points_earned"] for a in answers) == 120  # 50 + 50 + 20, then nothing
    assert sorted(a["points_earned"] for a in answers if a["points_earned"])[-3:] == [20, 50, 50]
    assert member(brand, member_id).points_balance == 120


def test_a_merge_under_purchases_at_both_members__nothing_lost_and_the_books_add_up(
    brand, monkeypatch
):
    survivor, merged = enroll(brand, "13800138000"), enroll(brand, "13800138001")
    for n in range(6):
        buy(brand, merged, f"m-{n}", 1_000)  # six lots of 10: several steps, purchases between
    monkeypatch.setattr(merges, "LOTS_PER_STEP", 2)
    totals_before = brand.totals.read()
    done = threading.Event()

    def shop(till):
        """Buy at both members, alternately, until two purchases after the merge finished."""
        results, n, after = [], 0, 0
        while after < 2:
            after += done.is_set()
            member_id = survivor if n % 2 else merged
            try:
                earned = buy(brand, member_id, f"c-{till}-{n}", 1_000 + n)["points_earned"]
                results.append((member_id, earned))
            except MemberMerged:
                results.append((member_id, "merged"))
            except ConcurrentUpdate:
                results.append((member_id, "busy"))
            n += 1
        return results

    def merge_until_done():
        request = MergeRequest(from_member_id=merged)
        try:
            for _ in range(20):  # a client asks again while it answers "busy": it goes on
                try:
                    return json.loads(merges.merge_members(brand, survivor, request, None).body)
                except ConcurrentUpdate:
                    continue
            raise AssertionError("the merge never finished")
        finally:
            done.set()

    with ThreadPoolExecutor(max_workers=5) as pool:
        tills = [pool.submit(shop, till) for till in range(4)]
        out = pool.submit(merge_until_done).result()
        results = [r for till in tills for r in till.result()]
    earned = sum(points for _, points in results if isinstance(points, int))
    assert ("merged", "merged") in {(m == merged and "merged", p) for m, p in results}
    after = member(brand, survivor)
    assert after.points_balance == 60 + earned  # every point earned anywhere is the survivor's
    bought_there = sum(1 for m, points in results if m == merged and isinstance(points, int))
    assert out["moved"]["lots"] == 6 + bought_there
    books = reconciliation.brand_page(brand, 100, None)
    assert books.ok, books.mismatches
    assert brand.totals.read().points_balance == totals_before.points_balance + earned
