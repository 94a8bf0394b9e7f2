"""Coupons through the services: stock and limits under concurrency, redeem exactly once,
release, points exchange, refunds, shared codes, uniform refusals and the rate limit."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.contract.checkout import ExchangeRequest
from chalicelib.contract.coupons import CouponRedeemRequest, CouponReleaseRequest, IssueRequest
from chalicelib.domain.errors import (
    CouponLimitReached,
    CouponNotUsable,
    CouponOutOfStock,
    InsufficientPoints,
    RateLimited,
)
from chalicelib.store.ledger import LedgerStore
from tests.helpers import add_templates, buy, enroll, member, refund, template
from tests.presented import coupon_checkout, coupon_issue, templates


def issue(deps, template_id, member_id, issue_id=None):
    request = IssueRequest(member_id=member_id, issue_id=issue_id)
    return json.loads(coupon_issue.issue(deps, template_id, request, None).body)["coupon"]


def redeem(deps, member_id, code, order_id, principal="key-1", **basket):
    request = CouponRedeemRequest(order_id=order_id, **basket)
    return json.loads(coupon_checkout.redeem(deps, member_id, code, request, principal, None).body)


def test_fifty_threads_claiming_the_last_ten_units_get_exactly_ten(brand):
    add_templates(brand, template("flash", total_stock=10, per_member_limit=None))
    members = [enroll(brand, phone=f"1380013{n:04d}") for n in range(50)]

    def claim(member_id):
        try:
            return issue(brand, "flash", member_id)
        except CouponOutOfStock:
            return None

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(claim, members))
    assert sum(r is not None for r in results) == 10
    assert templates.get(brand, "flash").issued == 10
    held = sum(len(coupon_checkout.list_coupons(brand, m).usable) for m in members)
    assert held == 10


def test_ten_threads_redeeming_the_same_coupon_yield_one_success(brand):
    add_templates(brand, template("ten-off"))
    member_id = enroll(brand)
    code = issue(brand, "ten-off", member_id)["code"]

    def attempt(n):
        try:
            return redeem(brand, member_id, code, f"order-{n}")
        except CouponNotUsable:
            return None

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(attempt, range(10)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    (used,) = coupon_checkout.list_coupons(brand, member_id).used
    assert used.order_id == winners[0]["order_id"]


def test_per_member_limit_is_enforced(brand):
    add_templates(brand, template("once", per_member_limit=1))
    member_id = enroll(brand)
    issue(brand, "once", member_id)
    with pytest.raises(CouponLimitReached):
        issue(brand, "once", member_id)


def test_admin_issue_with_an_issue_id_is_applied_once(brand, pump):
    add_templates(brand, template("gift", per_member_limit=None))
    member_id = enroll(brand)
    first = issue(brand, "gift", member_id, issue_id="crm-1")
    again = issue(brand, "gift", member_id, issue_id="crm-1")
    pump()  # an unstocked template's issued count comes off the stream
    assert again == first and templates.get(brand, "gift").issued == 1


def test_redeem__retry_on_the_same_order_returns_the_first_answer(brand):
    add_templates(brand, template("ten-off", amount_off=1000, min_spend=5000))
    member_id = enroll(brand)
    code = issue(brand, "ten-off", member_id)["code"]
    first = redeem(brand, member_id, code, "o-1", amount=6000, currency="CNY")
    assert first["discount_amount"] == 1000
    assert redeem(brand, member_id, code, "o-1", amount=6000, currency="CNY") == first
    with pytest.raises(CouponNotUsable):
        redeem(brand, member_id, code, "o-2")


def test_every_refusal_gives_the_same_answer(brand):
    add_templates(brand, template("ten-off", amount_off=1000, min_spend=5000))
    owner, stranger = enroll(brand), enroll(brand, phone="13900139000")
    code = issue(brand, "ten-off", owner)["code"]
    answers = []
    for member_id, raw, basket in [
        (stranger, code, {}),  # someone else's code
        (owner, "AAAA-BBBB-CCCC-DDDD-EEEE", {}),  # no such code
        (owner, code, {"amount": 100, "currency": "CNY"}),  # below the minimum spend
        (owner, "bad code!", {}),  # not even a code
    ]:
        with pytest.raises(CouponNotUsable) as refused:
            redeem(brand, member_id, raw, "o-1", **basket)
        answers.append((refused.value.code, refused.value.message, refused.value.param))
    assert len(set(answers)) == 1


def test_refusals_from_one_key_are_rate_limited(brand):
    brand.settings.coupon_failures_per_minute = 3
    member_id = enroll(brand)
    for _ in range(3):
        with pytest.raises(CouponNotUsable):
            redeem(brand, member_id, "AAAA-BBBB-CCCC-DDDD-EEEE", "o", principal="attacker")
    with pytest.raises(RateLimited):
        redeem(brand, member_id, "AAAA-BBBB-CCCC-DDDD-EEEE", "o", principal="attacker")
    add_templates(brand, template("ok"))
    code = issue(brand, "ok", member_id)["code"]
    assert redeem(brand, member_id, code, "o", principal="honest-till")["order_id"] == "o"


def test_release__returns_the_coupon_once_and_it_can_be_used_again(brand):
    add_templates(brand, template("ten-off"))
    member_id = enroll(brand)
    code = issue(brand, "ten-off", member_id)["code"]
    redeem(brand, member_id, code, "o-1")
    release = CouponReleaseRequest(order_id="o-1")
    first = coupon_checkout.release(brand, member_id, code, release, "key-1", None)
    again = coupon_checkout.release(brand, member_id, code, release, "key-1", None)
    assert again.body == first.body and again.replayed
    assert [c.code for c in coupon_checkout.list_coupons(brand, member_id).usable] == [code]
    assert redeem(brand, member_id, code, "o-2")["order_id"] == "o-2"


def test_non_stackable_coupons_do_not_combine_on_one_order(brand):
    add_templates(brand, template("a"), template("b"), template("s", stackable=True))
    member_id = enroll(brand)
    a, b = issue(brand, "a", member_id)["code"], issue(brand, "b", member_id)["code"]
    redeem(brand, member_id, a, "o-1")
    with pytest.raises(CouponNotUsable):
        redeem(brand, member_id, b, "o-1")
    s = issue(brand, "s", member_id)["code"]
    with pytest.raises(CouponNotUsable):
        redeem(brand, member_id, s, "o-1")  # the order already has an exclusive coupon


def test_exchange__points_out_and_coupon_in_one_transaction(brand):
    add_templates(brand, template("voucher", points_price=300, per_member_limit=None))
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 50_000)
    answer = json.loads(
        coupon_issue.exchange(
            brand, member_id, ExchangeRequest(template_id="voucher", exchange_id="x-1"), None
        ).body
    )
    assert answer["points_spent"] == 300 and answer["member"]["points_balance"] == 200
    again = json.loads(
        coupon_issue.exchange(
            brand, member_id, ExchangeRequest(template_id="voucher", exchange_id="x-1"), None
        ).body
    )
    assert again == answer
    with pytest.raises(InsufficientPoints):
        coupon_issue.exchange(brand, member_id, ExchangeRequest(template_id="voucher"), None)
    assert len(coupon_checkout.list_coupons(brand, member_id).usable) == 1
    kinds = [e.kind for e in LedgerStore().all(member_id)]
    assert kinds == ["earn", "exchange"]


def test_exchange__out_of_stock_takes_no_points(brand):
    add_templates(brand, template("voucher", points_price=100, total_stock=0))
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 50_000)
    with pytest.raises(CouponOutOfStock):
        coupon_issue.exchange(brand, member_id, ExchangeRequest(template_id="voucher"), None)
    assert member(brand, member_id).points_balance == 500


def test_refund__returns_a_used_coupon_only_if_the_template_says_so(brand):
    add_templates(brand, template("keep"), template("back", return_on_refund=True, stackable=True))
    member_id = enroll(brand)
    keep = issue(brand, "keep", member_id)["code"]
    back = issue(brand, "back", member_id)["code"]
    buy(brand, member_id, "o-1", 10_000)
    buy(brand, member_id, "o-2", 10_000)
    redeem(brand, member_id, keep, "o-1")
    redeem(brand, member_id, back, "o-2")
    assert refund(brand, member_id, "o-1", 10_000)["coupons_returned"] == []
    assert refund(brand, member_id, "o-2", 5_000)["coupons_returned"] == []  # partial
    assert refund(brand, member_id, "o-2", 5_000)["coupons_returned"] == [back]
    listed = coupon_checkout.list_coupons(brand, member_id)
    assert [c.code for c in listed.usable] == [back] and [c.code for c in listed.used] == [keep]


def test_shared_code__each_member_claims_it_once(brand):
    add_templates(brand, template("welcome", shared_code="WELCOME2026", per_member_limit=1))
    first, second = enroll(brand), enroll(brand, phone="13900139000")
    assert redeem(brand, first, "welcome2026", "o-1")["coupon"]["code"] == "WELCOME2026"
    assert redeem(brand, second, "WELCOME2026", "o-9")["coupon"]["source"] == "shared_code"
    with pytest.raises(CouponNotUsable):
        redeem(brand, first, "WELCOME2026", "o-2")


def test_expired_coupons_are_listed_as_expired_and_refused(brand, clock):
    add_templates(brand, template("short", validity={"kind": "relative", "days": 1}))
    member_id = enroll(brand)
    code = issue(brand, "short", member_id)["code"]
    clock.advance(days=1)
    assert [c.code for c in coupon_checkout.list_coupons(brand, member_id).expired] == [code]
    with pytest.raises(CouponNotUsable):
        redeem(brand, member_id, code, "o-1")


def test_enroll_coupon__is_issued_to_new_members(brand):
    from tests.conftest import set_program

    add_templates(brand, template("hello"))
    set_program(brand, enroll_coupon="hello")
    member_id = enroll(brand)
    assert [c.template_id for c in coupon_checkout.list_coupons(brand, member_id).usable] == [
        "hello"
    ]
