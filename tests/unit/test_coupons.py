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
)
from chalicelib.domain.earning import Basket, BasketItem

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
