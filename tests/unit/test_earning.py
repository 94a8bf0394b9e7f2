"""Pure earning rules: base rate, bonuses, campaigns, tier multiplier, rounding."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.earning import Basket, BasketItem, earn_points
from chalicelib.domain.program import (
    Bonus,
    Campaign,
    EarnRate,
    Program,
    Tier,
    TierBenefits,
    TierLadder,
)

amounts = st.integers(min_value=0, max_value=10**9)
NOON = datetime(2026, 3, 1, 4, tzinfo=UTC)


def program(**changes) -> Program:
    return Program(name="P", currency="CNY", time_zone="Asia/Shanghai", **changes)


@pytest.mark.parametrize(("rounding", "expected"), [("floor", 1), ("half_up", 2), ("ceil", 2)])
def test_earn__rounds_once_at_the_end(rounding, expected):
    p = program(earn=EarnRate(points_per_unit=1, unit_amount=100, rounding=rounding))
    earning = earn_points(Basket(amount=150, occurred_at=NOON), p, None)
    assert earning.points == expected
    assert sum(line.points for line in earning.lines) == expected


def test_earn__sku_bonus_beats_its_category_and_zero_excludes():
    p = program(
        bonuses=[
            Bonus(category="tea", multiplier=Decimal(2)),
            Bonus(sku="T-1", multiplier=Decimal(3)),
            Bonus(sku="GIFT", multiplier=Decimal(0)),
        ]
    )
    items = (
        BasketItem(1000, sku="T-1", category="tea"),
        BasketItem(1000, category="tea"),
        BasketItem(1000, sku="GIFT"),
        BasketItem(1000),
    )
    earning = earn_points(Basket(amount=4000, occurred_at=NOON, items=items), p, None)
    rules = [(line.rule, line.points) for line in earning.lines]
    assert rules == [("base", 40), ("sku_bonus", 20), ("category_bonus", 10), ("sku_bonus", -10)]
    assert earning.points == 60


def test_earn__campaign_day_is_the_brand_local_day():
    p = program(
        campaigns=[
            Campaign(
                name="Double 11",
                starts_on=date(2026, 11, 11),
                ends_on=date(2026, 11, 11),
                multiplier=Decimal(2),
            )
        ]
    )
    # 2026-11-10T16:30Z is already 00:30 on the 11th in Shanghai
    on = earn_points(Basket(1000, datetime(2026, 11, 10, 16, 30, tzinfo=UTC)), p, None)
    before = earn_points(Basket(1000, datetime(2026, 11, 10, 15, 59, tzinfo=UTC)), p, None)
    assert (on.points, before.points) == (20, 10)


def test_earn__tier_multiplier_applies_after_campaign_and_bonuses():
    ladder = TierLadder(
        tiers=[
            Tier(name="silver", threshold=0),
            Tier(name="gold", threshold=10, benefits=TierBenefits(earn_multiplier=Decimal("1.5"))),
        ]
    )
    p = program(tiers=ladder, bonuses=[Bonus(category="tea", multiplier=Decimal(2))])
    basket = Basket(1000, NOON, (BasketItem(1000, category="tea"),))
    assert earn_points(basket, p, "gold").points == 30
    assert earn_points(basket, p, "silver").points == 20
    assert earn_points(basket, p, None).lines[-1].rule == "category_bonus"


def test_earn__is_capped_per_order():
    p = program(limits={"max_points_per_order": 50})
    earning = earn_points(Basket(100_000, NOON), p, None)
    assert earning.points == 50 and earning.lines[-1].rule == "cap"


@given(
    amounts, st.sampled_from(["floor", "half_up", "ceil"]), st.integers(1, 10), st.integers(1, 1000)
)
def test_earn__lines_always_add_up_to_the_points(amount, rounding, per_unit, unit):
    p = program(earn=EarnRate(points_per_unit=per_unit, unit_amount=unit, rounding=rounding))
    earning = earn_points(Basket(amount, NOON), p, None)
    assert sum(line.points for line in earning.lines) == earning.points
    assert 0 <= earning.points <= p.limits.max_points_per_order
