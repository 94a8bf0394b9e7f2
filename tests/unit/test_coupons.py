"""Pure coupon rules: codes, applicability (minimum spend, categories, caps, rounding)."""

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.domain.coupons import (
    ALPHABET,
    CODE_LENGTH,
    CouponTemplate,
    applicability,
    code_from,
    normalise_code,
    refuse_issue,
)
from chalicelib.domain.earning import Basket, BasketItem
from chalicelib.domain.errors import CouponLimitReached, CouponOutOfStock, DomainError
from chalicelib.domain.guards import Guard, Rule, WriteRejected

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def template(**fields) -> CouponTemplate:
    return CouponTemplate(template_id="t", name="T", **fields)


def test_codes__carry_at_least_80_bits_in_an_unambiguous_grouped_alphabet():
    assert CODE_LENGTH * math.log2(len(ALPHABET)) >= 80
    assert not set("01OIL") & set(ALPHABET)
    code = code_from(bytes(range(16)))
    groups = code.split("-")
    assert [len(g) for g in groups] == [4] * 5 and all(c in ALPHABET for c in "".join(groups))


def test_normalise_code__accepts_what_a_cashier_types():
    code = code_from(b"\xff" * 16)
    assert normalise_code(code.lower().replace("-", " ")) == code
    assert normalise_code("NOT-A-C0DE!") is None
    assert normalise_code("welcome-2026") == "WELCOME2026"  # a brand's shared code


def test_fixed__needs_the_minimum_spend_and_never_exceeds_the_basket():
    coupon = template(kind="fixed", amount_off=2000, min_spend=10_000)
    assert not applicability(coupon, Basket(9_999, NOW)).applies
    assert applicability(coupon, Basket(10_000, NOW)).discount == 2000
    small = template(kind="fixed", amount_off=2000)
    assert applicability(small, Basket(1500, NOW)).discount == 1500


def test_percent__rounds_down_then_caps():
    coupon = template(kind="percent", percent_off=15, max_discount=1000)
    assert applicability(coupon, Basket(3333, NOW)).discount == 499  # 499.95 rounded down
    assert applicability(coupon, Basket(100_000, NOW)).discount == 1000


def test_categories__count_only_eligible_items_toward_spend_and_discount():
    coupon = template(kind="percent", percent_off=10, categories=["tea"], min_spend=5000)
    basket = Basket(9000, NOW, (BasketItem(4000, category="tea"), BasketItem(5000, sku="CUP")))
    assert not applicability(coupon, basket).applies
    richer = Basket(11_000, NOW, (BasketItem(6000, category="tea"), BasketItem(5000, sku="CUP")))
    assert applicability(coupon, richer).discount == 600
    assert not applicability(coupon, Basket(11_000, NOW)).applies  # no items, nothing eligible


def test_free_shipping__applies_with_no_amount():
    found = applicability(template(kind="free_shipping"), Basket(100, NOW))
    assert found.applies and found.free_shipping and found.discount == 0


def test_template__refuses_inconsistent_shapes():
    with pytest.raises(ValidationError):
        template(kind="fixed")
    with pytest.raises(ValidationError):
        template(kind="percent", percent_off=10, amount_off=5)
    with pytest.raises(ValidationError):
        template(kind="fixed", amount_off=1, shared_code="HELLO 2026!")
    assert template(kind="fixed", amount_off=1, shared_code="hello-2026").shared_code == "HELLO2026"


@given(st.integers(0, 10**7), st.integers(1, 100), st.one_of(st.none(), st.integers(1, 10**6)))
def test_percent__discount_is_within_bounds(amount, pct, cap):
    coupon = template(kind="percent", percent_off=pct, max_discount=cap)
    found = applicability(coupon, Basket(amount, NOW))
    if amount == 0:
        assert not found.applies
    else:
        assert 0 <= found.discount <= amount * pct / 100
        assert cap is None or found.discount <= cap


def test_a_coupon__goes_issued_redeemed_issued_and_says_so():
    from datetime import timedelta

    from chalicelib.domain.coupons import Coupon

    coupon = Coupon.issue("m", template(kind="fixed", amount_off=100), NOW, "admin", "CODE")
    assert coupon.state(NOW) == "usable" and coupon.usable_at(NOW)
    assert not coupon.usable_at(NOW - timedelta(seconds=1))  # not valid yet
    coupon.redeem("o-1", NOW)
    assert coupon.state(NOW) == "used" and not coupon.usable_at(NOW)
    assert coupon.redeemed_on("o-1") and not coupon.redeemed_on("o-2")
    assert coupon.release(NOW) == "o-1" and coupon.released_at == NOW
    assert coupon.released_from("o-1") and not coupon.released_from("o-2")
    assert coupon.usable_at(NOW) and coupon.order_id is None and coupon.redeemed_at is None
    later = coupon.valid_until
    assert coupon.state(later) == "expired" and not coupon.usable_at(later)


def test_an_order__holds_one_exclusive_coupon_or_any_number_of_stackable_ones():
    from chalicelib.domain.coupons import OrderCoupons

    plain = template(kind="fixed", amount_off=100)
    stacks = template(kind="fixed", amount_off=100, stackable=True)
    empty = OrderCoupons("o-1")
    assert empty.admits(plain) and empty.admits(stacks)
    exclusive = empty.adding("A", plain)
    assert exclusive.codes == ("A",) and exclusive.exclusive and exclusive.exists
    assert not exclusive.admits(plain) and not exclusive.admits(stacks)
    stacked = empty.adding("B", stacks)
    assert stacked.admits(stacks) and not stacked.admits(plain)
    assert stacked.adding("C", stacks).without(["B"]).codes == ("C",)
    assert exclusive.without(["A"]).admits(plain)


def test_a_template__says_why_it_cannot_issue():
    from datetime import timedelta

    ended = template(
        kind="fixed",
        amount_off=100,
        validity={"kind": "fixed", "starts_at": "2026-01-01T00:00:00Z", "ends_at": NOW.isoformat()},
    )
    assert "ended" in ended.unissuable(NOW)
    assert ended.unissuable(NOW - timedelta(seconds=1)) is None
    stocked = template(kind="fixed", amount_off=100, total_stock=2)
    assert stocked.unissuable(NOW) is None and stocked.unissuable(NOW, issued=1) is None
    assert "out of stock" in stocked.unissuable(NOW, issued=2)


def test_normalise_code__lengths_at_the_edges():
    assert normalise_code("ABCD") == "ABCD" and normalise_code("ABC") is None
    assert normalise_code("A" * 32) == "A" * 32 and normalise_code("A" * 33) is None
    # twenty symbols are a personal code only in the code alphabet; otherwise a shared code
    assert normalise_code("0" * 20) == "0" * 20
    assert normalise_code("2" * 19) == "2" * 19  # not grouped: not a personal code
    assert normalise_code("ÄBCD") is None and normalise_code("AB-CD!") is None


def test_applicability__says_exactly_why_and_how_much():
    def basket(amount, *items):
        return Basket(amount=amount, occurred_at=NOW, items=tuple(items), currency="CNY")

    tea = template(kind="fixed", amount_off=500, categories=["tea"], min_spend=1_000)
    assert applicability(tea, basket(5_000)) == applicability(tea, basket(0))
    assert applicability(tea, basket(5_000)).reason == "no eligible items in the basket"
    one_fen = basket(1, BasketItem(amount=1, category="tea"))
    short = applicability(tea, one_fen)
    assert (short.applies, short.reason, short.discount) == (
        False,
        "spend ¥9.99 more on eligible items",  # for people, in the currency (issue 32)
        0,
    )
    cheap = template(kind="fixed", amount_off=500)
    assert applicability(cheap, basket(1)) == type(short)(True, "applies", 1)
    pct = template(kind="percent", percent_off=15)
    assert applicability(pct, basket(1_000)) == type(short)(True, "applies", 150)
    ship = template(kind="free_shipping")
    assert applicability(ship, basket(1)) == type(short)(True, "applies", 0, free_shipping=True)
    nothing = applicability(cheap, basket(0))
    assert (nothing.applies, nothing.discount) == (False, 0)


def test_release__of_a_coupon_without_an_order_gives_an_empty_order_id():
    from chalicelib.domain.coupons import Coupon

    coupon = Coupon.issue("m", template(kind="fixed", amount_off=100), NOW, "admin", "CODE")
    coupon.status = "redeemed"
    assert coupon.release(NOW) == "" and coupon.released_order_id == ""


def test_an_order_without_a_coupon__still_exists_once_it_had_one():
    from chalicelib.domain.coupons import OrderCoupons

    after = OrderCoupons("o-1").adding("A", template(kind="fixed", amount_off=1)).without(["A"])
    assert after.exists is True and after.codes == () and after.exclusive is False


def test_a_refused_issue_says_which_counter_of_the_named_template_refused_it():
    def refusal(rule, subject="tmpl_1"):
        with pytest.raises(DomainError) as refused:
            refuse_issue(WriteRejected([Guard(rule, subject)], conflict=False), "tmpl_1")
        return refused.value

    stock = refusal(Rule.COUPON_STOCK)
    assert isinstance(stock, CouponOutOfStock) and stock.param == "template_id"
    assert str(stock) == "template tmpl_1 is out of stock"
    limit = refusal(Rule.COUPON_LIMIT)
    assert isinstance(limit, CouponLimitReached) and limit.param == "template_id"
    assert "tmpl_1" in str(limit) and "most coupons" in str(limit)
    # another template's counter, or another rule, is not this template's refusal
    refuse_issue(WriteRejected([Guard(Rule.COUPON_STOCK, "tmpl_2")], conflict=False), "tmpl_1")
    refuse_issue(WriteRejected([Guard(Rule.MEMBER_VERSION)], conflict=True), "tmpl_1")
