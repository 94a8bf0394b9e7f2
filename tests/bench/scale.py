"""Checkout at 双11 scale (`make bench`'s `scale` part): what two members' calls share, and what
DynamoDB's concurrency does to checkouts, on DynamoDB Local behind the conflicting engine
(`tests/conflicts.py`: a transaction's items held while it is in flight, at least 15 ms; a
partition past 1,000 write units a second throttled).

1. Shared items: each storefront use case run for three members, every item and partition key
   its writes touch recorded; a row counts the items and the partition keys that another
   member's call of the same use case also wrote (the goal: 0).
2. Contention: purchases of distinct members from 32 threads; enrolments sharing one device from
   20 threads; a flash sale of one template's stock from 32 threads, each claim a member's own.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient

SIZES = {"purchases": 2_000, "enrolments": 200, "claims": 3_000, "stock": 1_000, "slices": 20}
THREADS = {"purchases": 32, "enrolments": 20, "claims": 32}
MEMBERS_PER_ROW = 3


def shrink() -> None:
    SIZES.update(purchases=40, enrolments=20, claims=60, stock=20, slices=4)


# -- what each call writes -----------------------------------------------------------------------


class Writes:
    """Every item key a DynamoDB write touches, per call, at the botocore boundary."""

    def __init__(self) -> None:
        self.local = threading.local()

    @contextmanager
    def installed(self) -> Iterator[Writes]:
        original = BaseClient._make_api_call
        writes = self

        def call(client: Any, operation: str, params: Any) -> Any:
            found = getattr(writes.local, "found", None)
            if found is not None and client.meta.service_model.service_name == "dynamodb":
                found.update(_written(operation, params))
            return original(client, operation, params)

        BaseClient._make_api_call = call  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]

    @contextmanager
    def recording(self) -> Iterator[set[tuple[str, str]]]:
        found: set[tuple[str, str]] = set()
        self.local.found = found
        try:
            yield found
        finally:
            self.local.found = None


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


def _written(operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    if operation == "PutItem":
        return [_key(params["Item"])]
    if operation in ("UpdateItem", "DeleteItem"):
        return [_key(params["Key"])]
    if operation == "TransactWriteItems":
        out = []
        for action in params["TransactItems"]:
            ((kind, body),) = action.items()
            if kind != "ConditionCheck":
                out.append(_key(body.get("Item") or body["Key"]))
        return out
    return []


def shared_items(deps: Any, cases: list[tuple[str, Callable[[int], Any]]]) -> None:
    """`cases`: (name, call(member index)) for members 0..MEMBERS_PER_ROW-1."""
    print(
        f"\nshared items: each use case for {MEMBERS_PER_ROW} members; what another member's call"
        " of it also wrote (goal 0)"
    )
    print(f"{'use case':<22} {'items':>5} {'partition keys':>14}  shared")
    writes = Writes()
    with writes.installed():
        for name, call in cases:
            seen: list[set[tuple[str, str]]] = []
            for member in range(MEMBERS_PER_ROW):
                with writes.recording() as found:
                    call(member)
                seen.append(found)
            item_count: Counter[tuple[str, str]] = Counter(k for keys in seen for k in keys)
            pk_count: Counter[str] = Counter(pk for keys in seen for pk in {k[0] for k in keys})
            items = sorted(k for k, n in item_count.items() if n > 1)
            pks = sorted(pk for pk, n in pk_count.items() if n > 1)
            what = ", ".join(sorted({pk.split("#", 1)[0] for pk in pks})) or "-"
            print(f"{name:<22} {len(items):>5} {len(pks):>14}  {what}")


# -- contention ----------------------------------------------------------------------------------


def run_concurrently(
    threads: int, count: int, call: Callable[[int], Any]
) -> tuple[Counter[str], float]:
    """Outcomes by kind (ok, or the error's code) and the seconds it took."""
    from chalicelib.domain.errors import DomainError

    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def one(n: int) -> None:
        try:
            call(n)
            kind = "ok"
        except DomainError as exc:
            kind = exc.code
        with lock:
            outcomes[kind] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    return outcomes, time.perf_counter() - started


def report(name: str, outcomes: Counter[str], seconds: float, engine: Any, count: int) -> None:
    cancelled = engine.stats["transactions_cancelled"] + engine.stats["single_writes_conflicted"]
    throttled = engine.stats["transactions_throttled"] + engine.stats["single_writes_throttled"]
    failed = {k: v for k, v in outcomes.items() if k != "ok"}
    errors_5xx = sum(v for k, v in failed.items() if k in ("unavailable", "internal_error"))
    by_pk = ", ".join(f"{pk} {n}" for pk, n in engine.conflicts_by_pk.most_common(6)) or "-"
    print(
        f"{name:<28} {count:>6} {outcomes['ok']:>6} {cancelled:>9} {throttled:>9} "
        f"{errors_5xx:>4} {count / seconds:>7.1f}  {json.dumps(failed) if failed else '-'}"
        f"  conflicts on: {by_pk}"
    )


def header() -> None:
    print(
        f"\n{'on the conflicting engine':<28} {'calls':>6} {'ok':>6} {'cancelled':>9} "
        f"{'throttled':>9} {'5xx':>4} {'calls/s':>7}  refused  (409s are the use case's "
        "retries giving up)"
    )


def by_kind(found: dict[str, list[Any]]) -> dict[str, int]:
    return {k: len(v) for k, v in found.items()}


def counted(values: list[Any]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for value in values:
        out[str(value)] += 1
    return dict(out)


# -- the part --------------------------------------------------------------------------------


def run(table: str) -> None:
    """On the running DynamoDB Local (AWS_ENDPOINT_URL_DYNAMODB), one table."""
    from chalicelib.contract.checkout import (
        ExchangeRequest,
        PurchaseRequest,
        RedemptionRequest,
        RefundRequest,
    )
    from chalicelib.contract.coupons import CouponRedeemRequest, CouponReleaseRequest, IssueRequest
    from chalicelib.contract.engagement import CheckinRequest
    from chalicelib.contract.members import EnrollRequest
    from chalicelib.contract.wallet import (
        TopupRequest,
        WalletPaymentRequest,
        WalletRefundRequest,
        WithdrawalRequest,
    )
    from chalicelib.domain.coupons import CouponTemplate
    from chalicelib.services.deps import build, use
    from chalicelib.settings import Settings
    from chalicelib.store.models import create_table
    from loyalty_tools.demo import DEMO_PROGRAM, seed
    from tests.conflicts import ConflictingEngine
    from tests.presented import (
        checkins,
        coupon_checkout,
        coupon_issue,
        members,
        purchases,
        redemptions,
        refunds,
        templates,
        wallet,
    )

    deps = build(
        Settings.from_environment().model_copy(
            update={"table_name": table, "program_cache_seconds": 3600}
        ),
        backoff=lambda attempt: time.sleep(0.002 * 2**attempt),
    )
    use(deps)
    create_table()
    # points spendable at once, so the spending use cases have something to spend
    seed(deps, DEMO_PROGRAM.model_copy(update={"return_window_days": 0}))
    stocked = CouponTemplate(
        template_id="flash-sale",
        name="双11 ¥50 off",
        kind="fixed",
        amount_off=5_000,
        total_stock=SIZES["stock"],
        per_member_limit=1,
        claims_per_second=400 * SIZES["slices"],
        claimable=True,
    )
    templates.create(deps, stocked, None)

    def enrol(phone: str, **extra: Any) -> str:
        body = members.enroll(deps, EnrollRequest(phone=phone, **extra), None).body
        return str(json.loads(body)["member_id"])

    def buy(member_id: str, order_id: str, amount: int = 20_000) -> None:
        request = PurchaseRequest(order_id=order_id, amount=amount, currency="CNY")
        purchases.purchase(deps, member_id, request, None)

    # -- 1. shared items: the members, and what each row's calls need first ------------------
    ids = [enrol(f"1310000{n:04d}") for n in range(MEMBERS_PER_ROW)]
    codes = []
    for n, member_id in enumerate(ids):
        buy(member_id, f"seed-{n}", 100_000)
        issued = coupon_issue.issue(deps, "tea-voucher", IssueRequest(member_id=member_id), None)
        codes.append(json.loads(issued.body)["coupon"]["code"])
        wallet.top_up(
            deps, member_id, TopupRequest(payment_id=f"seed-pay-{n}", amount=50_000), None
        )
    from chalicelib.services import referrals

    referrer = enrol("13199999999")
    code = referrals.list_friends(deps, referrer).referral_code
    friends = [enrol(f"1320000{n:04d}", referred_by=code) for n in range(MEMBERS_PER_ROW)]

    cases: list[tuple[str, Callable[[int], Any]]] = [
        ("enrolment", lambda n: enrol(f"1330000{n:04d}")),
        ("purchase", lambda n: buy(ids[n], f"p-{n}")),
        ("referral reward", lambda n: buy(friends[n], f"first-{n}")),
        (
            "redemption",
            lambda n: redemptions.redeem(
                deps, ids[n], RedemptionRequest(order_id=f"r-{n}", points=100), None
            ),
        ),
        (
            "refund",
            lambda n: refunds.refund(
                deps, ids[n], RefundRequest(order_id=f"p-{n}", amount=5_000), None
            ),
        ),
        (
            "coupon redeem",
            lambda n: coupon_checkout.redeem(
                deps, ids[n], codes[n], CouponRedeemRequest(order_id=f"c-{n}"), "bench", None
            ),
        ),
        (
            "coupon release",
            lambda n: coupon_checkout.release(
                deps, ids[n], codes[n], CouponReleaseRequest(order_id=f"c-{n}"), "bench", None
            ),
        ),
        (
            "coupon exchange",
            lambda n: coupon_issue.exchange(
                deps, ids[n], ExchangeRequest(template_id="tea-voucher"), None
            ),
        ),
        ("coupon claim", lambda n: claim(deps, ids[n], "flash-sale")),
        (
            "wallet top-up",
            lambda n: wallet.top_up(
                deps, ids[n], TopupRequest(payment_id=f"pay-{n}", amount=10_000), None
            ),
        ),
        (
            "wallet payment",
            lambda n: wallet.pay(
                deps, ids[n], WalletPaymentRequest(order_id=f"w-{n}", amount=5_000), None
            ),
        ),
        (
            "wallet refund",
            lambda n: wallet.refund(
                deps, ids[n], WalletRefundRequest(order_id=f"w-{n}", amount=1_000), None
            ),
        ),
        (
            "wallet withdrawal",
            lambda n: wallet.withdraw(
                deps, ids[n], WithdrawalRequest(payment_id=f"pay-{n}", amount=1_000), None
            ),
        ),
        ("check-in", lambda n: checkins.check_in(deps, ids[n], CheckinRequest(), None)),
    ]
    shared_items(deps, cases)

    # -- 2. contention ---------------------------------------------------------------------------
    buyers = [enrol(f"1350{n:07d}") for n in range(SIZES["purchases"])]
    claimers = [enrol(f"1360{n:07d}") for n in range(SIZES["claims"])]
    header()
    with ConflictingEngine().installed() as engine:
        outcomes, seconds = run_concurrently(
            THREADS["purchases"], len(buyers), lambda n: buy(buyers[n], f"s-{n}", 10_000 + n)
        )
    report("purchases, distinct members", outcomes, seconds, engine, len(buyers))
    with ConflictingEngine().installed() as engine:
        outcomes, seconds = run_concurrently(
            THREADS["enrolments"],
            SIZES["enrolments"],
            lambda n: enrol(f"1370{n:07d}", device_id="one-device"),
        )
    report("enrolments, one device", outcomes, seconds, engine, SIZES["enrolments"])
    with ConflictingEngine().installed() as engine:
        outcomes, seconds = run_concurrently(
            THREADS["claims"], len(claimers), lambda n: claim(deps, claimers[n], "flash-sale")
        )
    report("claims, one template", outcomes, seconds, engine, len(claimers))
    issued = issued_of(deps, "flash-sale")
    print(
        f"flash sale: stock {SIZES['stock']}, {issued} issued, "
        f"{max(0, issued - SIZES['stock'])} oversold"
    )


def claim(deps: Any, member_id: str, template_id: str) -> Any:
    """A member takes one coupon of a stocked template (the claim route where there is one; the
    admin issue before it)."""
    from tests.presented import coupon_issue

    claims = getattr(coupon_issue, "claim", None)
    if claims is not None:
        from chalicelib.contract.coupons import ClaimRequest
        from chalicelib.services.shared.writes import Idem

        idem = Idem("bench", f"claim-{member_id}", "h")
        return claims(deps, member_id, ClaimRequest(template_id=template_id), idem)
    from chalicelib.contract.coupons import IssueRequest

    return coupon_issue.issue(deps, template_id, IssueRequest(member_id=member_id), None)


def issued_of(deps: Any, template_id: str) -> int:
    return int(deps.coupons.issued(deps.coupons.require_template(template_id)))
