"""Checkout at scale (issue 33), on DynamoDB Local behind the conflicting engine: purchases of
distinct members, many in flight at once, cancel nothing, because no two of them write the same
item (the brand's figures come from the stream)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.contract.checkout import PurchaseRequest
from chalicelib.domain.errors import ConcurrentUpdate
from tests.conflicts import ConflictingEngine
from tests.conftest import ENGINE
from tests.helpers import enroll
from tests.presented import purchases

pytestmark = pytest.mark.skipif(
    ENGINE != "dynamodb-local", reason="the conflicting engine is a layer over DynamoDB Local"
)
MEMBERS = 64
IN_FLIGHT = 16
# DynamoDB Local runs one transaction at a time and this machine's Python ~30 purchases a second,
# so with the cloud's ~15 ms two purchases rarely overlap here; holding each transaction's items
# for 250 ms makes every pair within that time overlap, so any item two members' purchases share
# is found, whatever this machine's speed.
HOLD = 0.25


def test_purchases_of_distinct_members_in_flight_at_once__cancel_nothing(brand):
    members = [enroll(brand, phone=f"1380000{n:04d}") for n in range(MEMBERS)]

    def buy(n: int) -> object:
        request = PurchaseRequest(order_id=f"o-{n}", amount=10_000 + n, currency="CNY")
        try:
            return purchases.purchase(brand, members[n], request, None).created
        except ConcurrentUpdate as exc:
            return exc

    with ConflictingEngine(hold=HOLD).installed() as engine, ThreadPoolExecutor(IN_FLIGHT) as pool:
        results = list(pool.map(buy, range(MEMBERS)))
    assert results == [True] * MEMBERS
    assert engine.stats["transactions_cancelled"] == 0, dict(engine.conflicts_by_pk)


def test_a_flash_sale_from_many_threads__never_oversells_and_finds_the_last_units(brand):
    """Stock 40 in 4 slices, 120 claims of distinct members from 16 threads: exactly 40 given,
    the rest sold out; no 5xx, no transaction cancelled (a claim's transaction holds the
    member's items only; the stock is taken by single conditional writes)."""
    from chalicelib.contract.coupons import ClaimRequest
    from chalicelib.domain.errors import DomainError
    from chalicelib.services.shared.writes import Idem
    from tests.helpers import template
    from tests.presented import coupon_issue, templates

    templates.create(
        brand,
        template("flash", total_stock=40, claims_per_second=1_600, claimable=True),
        None,
    )
    claimers = [enroll(brand, phone=f"1390000{n:04d}") for n in range(120)]

    def claim(n: int) -> str:
        idem = Idem("till", f"claim-{n}", "h")
        try:
            coupon_issue.claim(brand, claimers[n], ClaimRequest(template_id="flash"), idem)
        except DomainError as exc:
            return exc.code
        return "ok"

    with ConflictingEngine().installed() as engine, ThreadPoolExecutor(IN_FLIGHT) as pool:
        outcomes = list(pool.map(claim, range(len(claimers))))
    assert outcomes.count("ok") == 40 and outcomes.count("sold_out") == 80, outcomes
    assert engine.stats["transactions_cancelled"] == 0
    record = brand.coupons.require_template("flash")
    assert brand.coupons.issued(record) == 40
    assert brand.coupons.stock_left(record.template) == [0, 0, 0, 0]
