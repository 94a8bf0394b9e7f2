"""The demo brand that `loyalty dev` seeds, so a newcomer can try the engine at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from chalicelib.domain.coupons import CouponTemplate, RelativeValidity
from chalicelib.domain.program import (
    Bonus,
    Campaign,
    Checkin,
    EarnRate,
    Program,
    RedemptionRate,
    Referral,
    RollingExpiry,
    StreakBonus,
    Tier,
    TierBenefits,
    TierLadder,
    TierWindow,
    TopupBonus,
    WalletRules,
)

if TYPE_CHECKING:
    from chalicelib.services.deps import Deps

# The seeds' example ladder: bronze ≥ ¥100 a month, silver ≥ ¥500 (free shipping, birthday
# gift), gold ≥ ¥2000 (dedicated service, early access). Thresholds are in minor units.
DEMO_LADDER = TierLadder(
    metric="spend",
    window=TierWindow(kind="calendar", period="month"),
    grace_periods=1,
    tiers=[
        Tier(name="bronze", threshold=10_000),
        Tier(
            name="silver",
            threshold=50_000,
            benefits=TierBenefits(
                earn_multiplier=Decimal("1.2"),
                welcome_coupon="silver-welcome",
                birthday_gift="birthday-gift",
                free_shipping=True,
            ),
        ),
        Tier(
            name="gold",
            threshold=200_000,
            benefits=TierBenefits(
                earn_multiplier=Decimal("1.5"),
                welcome_coupon="gold-welcome",
                birthday_gift="birthday-gift",
                free_shipping=True,
                flags=["dedicated_service", "early_access"],
            ),
        ),
    ],
)

DEMO_PROGRAM = Program(
    name="Demo Tea House",
    currency="CNY",
    time_zone="Asia/Shanghai",
    default_phone_region="CN",
    earn=EarnRate(points_per_unit=1, unit_amount=100, rounding="floor"),
    bonuses=[
        Bonus(category="tea", multiplier=Decimal(2)),
        Bonus(sku="GIFT-CARD", multiplier=Decimal(0)),
    ],
    campaigns=[
        Campaign(
            name="Double 11",
            starts_on=date(2026, 11, 11),
            ends_on=date(2026, 11, 11),
            multiplier=Decimal(2),
        )
    ],
    tiers=DEMO_LADDER,
    redemption=RedemptionRate(points=100, amount=100, min_points=100),
    # a purchase's points vest once its 7-day return window is over (a refund before then
    # takes them back); an order recorded later than that, from an offline till, vests at once
    return_window_days=7,
    expiry=RollingExpiry(months=12),
    checkin=Checkin(
        enabled=True,
        points=5,
        streak_bonuses=[
            StreakBonus(day=3, points=10),
            StreakBonus(day=7, points=30, coupon="tea-voucher"),
        ],
        makeups_per_month=2,
    ),
    referral=Referral(
        enabled=True, referrer_points=200, friend_points=100, friend_coupon="silver-welcome"
    ),
    wallet=WalletRules(
        topup_bonuses=[
            TopupBonus(min_amount=50_000, bonus=5_000, label="储500送50"),
            TopupBonus(min_amount=100_000, bonus=12_000, label="储1000送120"),
        ],
    ),
)

DEMO_TEMPLATES = [
    CouponTemplate(
        template_id="silver-welcome",
        name="Silver welcome: ¥20 off ¥100",
        kind="fixed",
        amount_off=2_000,
        min_spend=10_000,
        validity=RelativeValidity(days=30),
    ),
    CouponTemplate(
        template_id="gold-welcome",
        name="Gold welcome: 10% off, up to ¥50",
        kind="percent",
        percent_off=10,
        max_discount=5_000,
        validity=RelativeValidity(days=30),
    ),
    CouponTemplate(
        template_id="tea-voucher",
        name="¥5 off any tea (500 points)",
        kind="fixed",
        amount_off=500,
        categories=["tea"],
        points_price=500,
        per_member_limit=None,
        stackable=True,
        validity=RelativeValidity(days=90),
    ),
    CouponTemplate(
        template_id="birthday-gift",
        name="Birthday: free shipping",
        kind="free_shipping",
        validity=RelativeValidity(days=14),
        per_member_limit=None,
        stackable=True,
    ),
]


def seed(
    deps: Deps,
    document: Program = DEMO_PROGRAM,
    coupon_templates: list[CouponTemplate] | None = None,
) -> Program:
    """The demo brand (or a brand's starting program) in an empty table: its templates first
    (the program names them), then the program as version 1. Whatever is there already stays
    as it is."""
    from chalicelib.contract.common import as_json
    from chalicelib.contract.coupons import template_out
    from chalicelib.services import program, templates

    for template in DEMO_TEMPLATES if coupon_templates is None else coupon_templates:
        if deps.coupons.template(template.template_id) is None:
            templates.create(deps, template, None, as_json(template_out))
    return program.ensure(deps, document)
