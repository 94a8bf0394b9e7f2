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


def test_redeemable__whole_steps_never_past_the_basket_and_not_below_the_minimum():
    from chalicelib.domain.earning import redeemable
    from chalicelib.domain.program import RedemptionRate

    rate = RedemptionRate(points=100, amount=100, min_points=200)
    assert redeemable(available=1_000, amount=550, rate=rate) == 500  # the basket caps it
    assert redeemable(available=450, amount=10_000, rate=rate) == 400  # whole steps only
    assert redeemable(available=199, amount=10_000, rate=rate) == 0  # below the minimum
    assert redeemable(available=200, amount=10_000, rate=rate) == 200
    double = RedemptionRate(points=50, amount=100, min_points=0)  # 50 points take 1.00 off
    assert redeemable(available=1_000, amount=300, rate=double) == 150


def test_basket_for__checks_currency_items_limit_and_time():
    from datetime import timedelta

    import pytest

    from chalicelib.domain.earning import BasketItem, basket_for
    from chalicelib.domain.errors import ValidationFailed

    p = Program(name="B", currency="CNY", time_zone="Asia/Shanghai")
    ok = basket_for(p, amount=300, currency="CNY", items=[BasketItem(300)], now=NOON)
    assert ok.occurred_at == NOON and ok.items == (BasketItem(300),)
    cases = [
        (dict(currency="USD"), "currency"),
        (dict(items=[BasketItem(100)]), "items"),
        (dict(amount=p.limits.max_order_amount + 1, items=[]), "amount"),
        (dict(occurred_at=NOON + timedelta(minutes=6)), "occurred_at"),
        (dict(occurred_at=NOON - timedelta(days=366)), "occurred_at"),
    ]
    for change, param in cases:
        fields = {"amount": 300, "currency": "CNY", "items": [BasketItem(300)], **change}
        with pytest.raises(ValidationFailed) as refused:
            basket_for(p, now=NOON, **fields)
        assert refused.value.param == param, change
    assert basket_for(
        p, amount=1, currency="CNY", items=[], now=NOON, occurred_at=NOON + timedelta(minutes=5)
    )
    assert basket_for(
        p, amount=1, currency="CNY", items=[], now=NOON, occurred_at=NOON - timedelta(days=365)
    )


def test_earn__every_line_says_what_it_did():
    from fractions import Fraction

    p = program(
        bonuses=[
            Bonus(category="plain", multiplier=Decimal(1)),
            Bonus(sku="T", multiplier=Decimal(2)),
        ],
        campaigns=[
            Campaign(
                name="small",
                starts_on=date(2026, 3, 1),
                ends_on=date(2026, 3, 1),
                multiplier=Decimal("1.5"),
            ),
            Campaign(
                name="big",
                starts_on=date(2026, 3, 1),
                ends_on=date(2026, 3, 1),
                multiplier=Decimal(2),
            ),
        ],
        tiers=TierLadder(
            tiers=[
                Tier(
                    name="gold", threshold=0, benefits=TierBenefits(earn_multiplier=Decimal("1.5"))
                )
            ]
        ),
        earn=EarnRate(points_per_unit=1, unit_amount=100, rounding="half_up"),
    )
    # a ×1 item is no bonus, and does not stop the items after it from earning theirs
    items = (BasketItem(1_005, category="plain"), BasketItem(1_000, sku="T"))
    earning = earn_points(Basket(amount=2_005, occurred_at=NOON, items=items), p, "gold")
    assert [(line.rule, line.description, line.points) for line in earning.lines] == [
        ("base", "1 pt per ¥1.00 on ¥20.05", Fraction(401, 20)),
        ("sku_bonus", "SKU T ×2 on ¥10.00", Fraction(10)),
        ("campaign", "big ×2", Fraction(601, 20)),  # the best campaign of the day
        ("tier_multiplier", "tier gold ×1.5", Fraction(601, 20)),
        ("rounding", "rounded half_up", Fraction(-3, 20)),
    ]
    assert earning.points == 90  # 90.15 rounded half up
    # in whole points, each line what it added to the running total (issue 32)
    assert earning.whole_lines() == [20, 10, 30, 30, 0]


def test_earn__half_up_rounds_a_half_up_and_less_down():
    p = program(earn=EarnRate(points_per_unit=1, unit_amount=100, rounding="half_up"))
    assert earn_points(Basket(amount=250, occurred_at=NOON), p, None).points == 3
    assert earn_points(Basket(amount=249, occurred_at=NOON), p, None).points == 2


def test_earn__the_cap_is_the_most_an_order_earns():
    p = program(limits={"max_points_per_order": 100})
    at = earn_points(Basket(amount=10_000, occurred_at=NOON), p, None)
    assert at.points == 100 and [line.rule for line in at.lines] == ["base"]
    over = earn_points(Basket(amount=10_100, occurred_at=NOON), p, None)
    assert over.points == 100 and over.lines[-1].rule == "cap"
    assert over.lines[-1].description == "at most 100 points per order"


def test_decimal_amount__is_minor_units_with_the_currency_s_decimals():
    from chalicelib.domain.money import decimal_amount

    assert [decimal_amount(x, "CNY") for x in (0, 5, 199, 10_000, 123_456, -7_000)] == [
        "0.00",
        "0.05",
        "1.99",
        "100.00",
        "1234.56",
        "-70.00",
    ]
    assert decimal_amount(700, "JPY") == "700" and decimal_amount(1_005, "KWD") == "1.005"


def test_money__writes_amounts_for_people_in_the_brand_s_currency():
    from chalicelib.domain.money import money

    assert money(7_000, "CNY") == "¥70.00"
    assert money(500, "USD") == "$5.00" and money(150, "HKD") == "HK$1.50"
    assert money(700, "JPY") == "¥700" and money(-1_234, "EUR") == "-€12.34"
    assert money(1_200, "CHF") == "CHF 12.00"  # no symbol known: the code


@given(
    amount=st.integers(min_value=1, max_value=10**7),
    tea=st.integers(min_value=0, max_value=10**6),
    multiplier=st.sampled_from(["1", "1.5", "2", "3.33", "0.5"]),
    tier=st.sampled_from([None, "gold"]),
    rounding=st.sampled_from(["floor", "half_up", "ceil"]),
)
def test_whole_lines__add_up_to_the_points_and_stay_within_a_point_of_each_line(
    amount, tea, multiplier, tier, rounding
):
    p = program(
        bonuses=[Bonus(category="tea", multiplier=Decimal(multiplier))],
        earn=EarnRate(points_per_unit=3, unit_amount=100, rounding=rounding),
        tiers=TierLadder(
            tiers=[
                Tier(
                    name="gold", threshold=1, benefits=TierBenefits(earn_multiplier=Decimal("1.25"))
                )
            ]
        ),
    )
    items = (BasketItem(tea, category="tea"), BasketItem(amount))
    earning = earn_points(Basket(amount=amount + tea, occurred_at=NOON, items=items), p, tier)
    whole = earning.whole_lines()
    assert sum(whole) == earning.points
    assert all(abs(w - line.points) < 1 for w, line in zip(whole, earning.lines, strict=True))


def test_basket_for__messages_say_what_to_fix():
    from datetime import timedelta

    from chalicelib.domain.earning import basket_for
    from chalicelib.domain.errors import ValidationFailed

    p = program(limits={"max_order_amount": 1_000})

    def message(**fields):
        base = {"amount": 100, "currency": "CNY", "items": [], "now": NOON}
        with pytest.raises(ValidationFailed) as refused:
            basket_for(p, **{**base, **fields})
        return refused.value.message

    assert message(currency="USD") == "the program runs in CNY, not USD"
    assert "items must add up to amount" in message(items=[BasketItem(1)])
    assert message(amount=1_001) == "amount is above the program's limit of 1000"
    assert basket_for(p, amount=1_000, currency="CNY", items=[], now=NOON).amount == 1_000
    assert message(occurred_at=NOON + timedelta(minutes=6)) == "occurred_at is in the future"
    assert "more than 365 days ago" in message(occurred_at=NOON - timedelta(days=366))
