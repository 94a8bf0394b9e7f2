"""The demo brand that `loyalty dev` seeds, so a newcomer can try the engine at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .domain.program import (
    Bonus,
    Campaign,
    EarnRate,
    Program,
    RedemptionRate,
    RollingExpiry,
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
    tier_multipliers={"silver": Decimal("1.2"), "gold": Decimal("1.5")},
    redemption=RedemptionRate(points=100, amount=100, min_points=100),
    return_window_days=0,  # points spendable at once in the demo; brands usually set 7-30
    expiry=RollingExpiry(months=12),
)
