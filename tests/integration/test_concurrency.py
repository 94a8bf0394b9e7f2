"""Concurrent checkouts: each DynamoDB call is serialised (as DynamoDB makes each call atomic),
so only the application's own read-then-write races remain — which is what these look for."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from chalicelib.contract.checkout import PurchaseRequest, RedemptionRequest
from chalicelib.contract.members import EnrollRequest
from chalicelib.contract.merges import MergeRequest
from chalicelib.contract.wallet import TopupRequest, WalletPaymentRequest
from chalicelib.domain.errors import ConcurrentUpdate, InsufficientPoints, MemberMerged
from chalicelib.domain.program import Limits, WalletRules
from chalicelib.services.shared.writes import Idem
from chalicelib.store import keys
from chalicelib.store.ledger import LedgerStore
from chalicelib.store.models import Item
from tests.conftest import ENGINE, set_program
from tests.helpers import buy, enroll, member
from tests.presented import members, merges, purchases, reconciliation, redemptions, wallet


@pytest.fixture(autouse=True)
def _as_dynamodb_concurrency(deps):
    """On DynamoDB Local these run behind the conflicting engine (`tests/conflicts.py`):
    transactions that share an item cancel each other as they do in DynamoDB, and the use
    cases retry with their jittered backoff, as in Lambda."""
    if ENGINE != "dynamodb-local":
        yield
        return
    from chalicelib.services.deps import jittered_backoff
    from tests.conflicts import ConflictingEngine

    deps.backoff = jittered_backoff
    with ConflictingEngine().installed():
        yield


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


@contextmanager
def _race_commits(monkeypatch, racer_thread, before_commit):
    """Run `before_commit()` in another thread (a second till) each time `racer_thread` is
    about to send a transaction, while the block runs: after the racer has read what it decided
    on, before it writes — the moment two requests race. Deterministic, where free-running
    threads are not."""
    from chalicelib.store.unit_of_work import UnitOfWork

    original = UnitOfWork.commit
    racing = [True]

    def commit(self):
        if racing[0] and threading.get_ident() == racer_thread and len(self):
            other.submit(before_commit).result()
        return original(self)

    monkeypatch.setattr(UnitOfWork, "commit", commit)
    with ThreadPoolExecutor(max_workers=1) as other:
        yield other
    racing[0] = False


def _sell(brand, member_id, order_id, amount, sold):
    try:
        sold.append((member_id, buy(brand, member_id, order_id, amount)["points_earned"]))
    except MemberMerged:
        sold.append((member_id, "merged"))


def test_each_merge_step_raced_by_sales_at_both_members__nothing_lost_and_the_books_add_up(
    brand, monkeypatch, pump
):
    """Before each of the merge's transactions goes out, a till sells at both members: the
    survivor's sale lands first and the step, failing on the version, reads again and goes on;
    the merged member's sale lands before the first step (and moves with it) and is refused
    after it."""
    survivor, merged = enroll(brand, "13800138000"), enroll(brand, "13800138001")
    for n in range(6):
        buy(brand, merged, f"m-{n}", 1_000)  # six lots of 10, two a step: three points steps
    monkeypatch.setattr("chalicelib.services.merges.LOTS_PER_STEP", 2)
    pump()  # the totals come off the stream
    totals_before = brand.totals.read()
    sold: list[tuple[str, object]] = []
    commits = []

    def sell_at_both():
        n = len(commits)
        commits.append(n)
        if n % 2 == 0 and n < 16:  # every other attempt raced, so each step lands at its retry
            _sell(brand, survivor, f"s-{n}", 1_000 + n, sold)
            _sell(brand, merged, f"t-{n}", 1_000 + n, sold)

    with _race_commits(monkeypatch, threading.get_ident(), sell_at_both):
        out = json.loads(
            merges.merge_members(brand, survivor, MergeRequest(from_member_id=merged), None).body
        )

    earned = {
        m: [p for mm, p in sold if mm == m and isinstance(p, int)] for m in (survivor, merged)
    }
    raced = len([n for n in commits if n % 2 == 0 and n < 16])
    assert raced >= 5  # the first step, three points steps and the records, each raced once
    # the first step and the three points steps each failed on the version once, and ran again
    # (unraced, the merge is six transactions: the wallet step races no sale)
    assert len(commits) >= 2 * 4 + 2
    assert len(earned[survivor]) == raced  # every sale at the survivor landed
    at_merged = [p for m, p in sold if m == merged]
    assert at_merged == [10] + ["merged"] * (raced - 1)  # moved with the first step, then refused
    after = member(brand, survivor)
    assert after.points_balance == 60 + sum(earned[survivor]) + sum(earned[merged])
    assert out["moved"]["lots"] == 6 + len(earned[merged])
    left = brand.members.load_account(merged, brand.clock(), spend=True, merged_ok=True)[1]
    assert left.balances.balance == 0 and not left.lots  # nothing stayed behind
    pump()  # the totals come off the stream
    books = reconciliation.brand_page(brand, 100, None)
    assert books.ok, books.mismatches
    total = sum(earned[survivor]) + sum(earned[merged])
    assert brand.totals.read().points_balance == totals_before.points_balance + total


@pytest.mark.parametrize("at", ["survivor", "merged"])
def test_a_sale_raced_by_a_whole_merge__lands_at_the_survivor_or_is_refused(
    brand, monkeypatch, at, pump
):
    """The other way round: a sale has read its member, and the whole merge runs before the
    sale's transaction goes out. At the survivor the sale fails on the version, reads again and
    lands on top of the merged points; at the merged member it reads again and is refused,
    having written nothing."""
    survivor, merged = enroll(brand, "13800138000"), enroll(brand, "13800138001")
    buy(brand, merged, "m-1", 5_000)
    outs = []

    def merge_now():
        if not outs:
            request = MergeRequest(from_member_id=merged)
            outs.append(json.loads(merges.merge_members(brand, survivor, request, None).body))

    with _race_commits(monkeypatch, threading.get_ident(), merge_now):
        if at == "survivor":
            assert buy(brand, survivor, "s-1", 2_000)["points_earned"] == 20
        else:
            with pytest.raises(MemberMerged):
                buy(brand, merged, "s-1", 2_000)
    assert outs and outs[0]["moved"]["points"] == 50
    assert member(brand, survivor).points_balance == (70 if at == "survivor" else 50)
    assert [e.order_id for e in _ledger(merged) if e.kind == "earn"] == ["m-1"]
    pump()  # the totals come off the stream
    books = reconciliation.brand_page(brand, 100, None)
    assert books.ok, books.mismatches


def _wallet_write(brand, member_id, what):
    if what == "pay":
        request = WalletPaymentRequest(order_id="o-raced", amount=1_000)
        return json.loads(wallet.pay(brand, member_id, request, None).body)
    request = TopupRequest(payment_id="pay-raced", amount=1_000)
    return json.loads(wallet.top_up(brand, member_id, request, None).body)


@pytest.mark.parametrize(
    ("at", "what", "merged_has_wallet"),
    [
        ("merged", "top up", False),  # it would make the merged member's first wallet
        ("merged", "top up", True),
        ("merged", "pay", True),
        ("survivor", "pay", True),
    ],
)
def test_a_wallet_write_raced_by_a_whole_merge__lands_at_the_survivor_or_is_refused(
    brand, monkeypatch, at, what, merged_has_wallet, pump
):
    """A top-up or a payment has read its wallet, and the whole merge runs before its
    transaction goes out: at the survivor it fails on the wallet's version, reads again and
    lands on the merged money; at the merged member it fails on the wallet the merge wrote
    (made where there was none) and is refused on its retry, having written nothing."""
    set_program(brand, wallet=WalletRules())
    survivor, merged = enroll(brand, "13800138000"), enroll(brand, "13800138001")
    wallet.top_up(brand, survivor, TopupRequest(payment_id="pay-s", amount=5_000), None)
    if merged_has_wallet:
        wallet.top_up(brand, merged, TopupRequest(payment_id="pay-m", amount=3_000), None)
    pump()  # the totals come off the stream
    before = brand.totals.read()
    outs = []

    def merge_now():
        if not outs:
            request = MergeRequest(from_member_id=merged)
            outs.append(json.loads(merges.merge_members(brand, survivor, request, None).body))

    moved = 3_000 if merged_has_wallet else 0
    with _race_commits(monkeypatch, threading.get_ident(), merge_now):
        if at == "survivor":
            assert _wallet_write(brand, survivor, what)["wallet"]["balance"] == 7_000
        else:
            with pytest.raises(MemberMerged):
                _wallet_write(brand, merged, what)
    assert outs and outs[0]["moved"]["wallet_principal"] == moved
    paid = 1_000 if at == "survivor" else 0
    assert wallet.read(brand, survivor).balance == 5_000 + moved - paid
    left = brand.wallets.load(merged, merged_ok=True)[1]
    assert left is not None and (left.principal, left.bonus, left.grants) == (0, 0, [])
    assert brand.wallets.topup("pay-raced") is None
    assert brand.wallets.payment(merged, "o-raced") is None
    pump()  # the totals come off the stream
    after = brand.totals.read()
    assert after.wallet_principal == before.wallet_principal - paid
    books = reconciliation.brand_page(brand, 100, None)
    assert books.ok, books.mismatches


@pytest.mark.moto_slow  # 4 minutes on moto (it copies its table in every transaction)
def test_two_hundred_enrolments_sharing_one_device_and_network__all_enrol(brand, pump):
    """Issue 32: the device and network counts were in every enrolment's transaction, under a
    condition, so enrolments sharing them cancelled each other (about half failed on DynamoDB
    Local); a flood on a victim's device would have failed the victim's enrolment too."""
    from ipaddress import ip_address

    def attempt(n):
        request = EnrollRequest(
            phone=f"1380000{n:04d}", device_id="shared-device", client_ip=ip_address("203.0.113.7")
        )
        try:
            return members.enroll(brand, request, None).created
        except ConcurrentUpdate as exc:
            return exc

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(200)))
    assert results == [True] * 200
    pump()
    signals = brand.risk.signals(brand.clock().astimezone(brand.programs.require().zone).date())
    assert sorted(s.kind for s in signals) == ["enrollments_per_device", "enrollments_per_ip_range"]
