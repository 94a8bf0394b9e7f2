"""What a basket earns, line by line: base rate, SKU/category bonuses, campaign, tier, rounding."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Protocol

from msgspec import Struct

from .errors import ValidationFailed
from .money import money
from .program import Program, RedemptionRate

CLOCK_SKEW = timedelta(minutes=5)  # how far ahead a till's clock may run


class BasketItem(Struct, frozen=True):
    amount: int
    quantity: int = 1
    sku: str | None = None
    category: str | None = None


class ItemLike(Protocol):
    """A basket line as a request gives it."""

    @property
    def amount(self) -> int: ...
    @property
    def quantity(self) -> int: ...
    @property
    def sku(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...


class Sale(Protocol):
    """What a storefront says of a sale (a quote's basket, a purchase)."""

    @property
    def amount(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def items(self) -> Sequence[ItemLike]: ...
    @property
    def occurred_at(self) -> datetime | None: ...


class Basket(Struct, frozen=True):
    amount: int
    occurred_at: datetime
    items: tuple[BasketItem, ...] = ()
    currency: str = ""  # the program's: what messages write amounts in


def basket_of(program: Program, sale: Sale, now: datetime) -> Basket:
    """The sale's basket, as a quote and the purchase it quotes both read it."""
    return basket_for(
        program,
        amount=sale.amount,
        currency=sale.currency,
        items=sale.items,
        now=now,
        occurred_at=sale.occurred_at,
    )


def basket_for(
    program: Program,
    *,
    amount: int,
    currency: str,
    items: Iterable[ItemLike],
    now: datetime,
    occurred_at: datetime | None = None,
) -> Basket:
    """A basket the program accepts: its currency, items that add up, within the limits, and a
    time neither ahead of the clock nor older than the program allows."""
    lines = tuple(BasketItem(i.amount, i.quantity, i.sku, i.category) for i in items)
    if currency != program.currency:
        raise ValidationFailed(
            f"the program runs in {program.currency}, not {currency}", param="currency"
        )
    if lines and sum(line.amount for line in lines) != amount:
        raise ValidationFailed(
            "items must add up to amount (send shipping or fees as items)", param="items"
        )
    if amount > program.limits.max_order_amount:
        raise ValidationFailed(
            f"amount is above the program's limit of {program.limits.max_order_amount}",
            param="amount",
        )
    occurred = occurred_at or now
    if occurred > now + CLOCK_SKEW:
        raise ValidationFailed("occurred_at is in the future", param="occurred_at")
    max_age = program.limits.max_purchase_age_days
    if occurred < now - timedelta(days=max_age):
        raise ValidationFailed(
            f"occurred_at is more than {max_age} days ago (limits.max_purchase_age_days)",
            param="occurred_at",
        )
    return Basket(amount=amount, occurred_at=occurred, items=lines, currency=currency)


class EarnLine(Struct, frozen=True):
    """One rule that applied; `points` is exact (a fraction) until the rounding line settles it."""

    rule: str
    description: str
    points: Fraction


class Earning(Struct, frozen=True):
    points: int
    lines: tuple[EarnLine, ...]

    def whole_lines(self) -> list[int]:
        """Each line in whole points, adding up to `points` exactly: the running total rounded
        down after each line (the exact lines add up to a whole number: the rounding line sees
        to it), so a line shows what it added to the whole points so far."""
        whole, running, before = [], Fraction(0), 0
        for line in self.lines:
            running += line.points
            after = math.floor(running)
            whole.append(after - before)
            before = after
        return whole


def _round(value: Fraction, mode: str) -> int:
    if mode == "ceil":
        return math.ceil(value)
    if mode == "half_up":
        return math.floor(value + Fraction(1, 2))
    return math.floor(value)


def earn_points(basket: Basket, program: Program, tier: str | None) -> Earning:
    """Pure: the same basket, program and tier always earn the same points with the same lines.

    Order of application: base and item bonuses, then the best campaign of the day, then the tier
    multiplier, then one rounding of the exact total (so no rule loses a fraction to rounding).
    """
    rate, currency = program.earn, program.currency
    per_minor = Fraction(rate.points_per_unit, rate.unit_amount)
    lines = [
        EarnLine(
            "base",
            f"{rate.points_per_unit} pt per {money(rate.unit_amount, currency)} "
            f"on {money(basket.amount, currency)}",
            basket.amount * per_minor,
        )
    ]
    sku_bonus = {b.sku: b.multiplier for b in program.bonuses if b.sku}
    category_bonus = {b.category: b.multiplier for b in program.bonuses if b.category}
    for item in basket.items:
        # The most specific rule wins: a SKU bonus replaces its category's bonus.
        if item.sku in sku_bonus:
            multiplier, label, rule = sku_bonus[item.sku], f"SKU {item.sku}", "sku_bonus"
        elif item.category in category_bonus:
            multiplier = category_bonus[item.category]
            label, rule = f"category {item.category}", "category_bonus"
        else:
            continue
        if multiplier == 1:
            continue
        extra = item.amount * per_minor * (Fraction(multiplier) - 1)
        lines.append(
            EarnLine(rule, f"{label} ×{multiplier} on {money(item.amount, currency)}", extra)
        )

    subtotal = sum((line.points for line in lines), Fraction(0))
    local_day = basket.occurred_at.astimezone(program.zone).date()
    campaigns = [c for c in program.campaigns if c.starts_on <= local_day <= c.ends_on]
    if campaigns:
        best = max(campaigns, key=lambda c: c.multiplier)
        if best.multiplier != 1:
            extra = subtotal * (Fraction(best.multiplier) - 1)
            lines.append(EarnLine("campaign", f"{best.name} ×{best.multiplier}", extra))
            subtotal += extra

    tier_multiplier = program.earn_multiplier(tier)
    if tier_multiplier != 1:
        extra = subtotal * (Fraction(tier_multiplier) - 1)
        lines.append(EarnLine("tier_multiplier", f"tier {tier} ×{tier_multiplier}", extra))
        subtotal += extra

    subtotal = max(subtotal, Fraction(0))
    points = _round(subtotal, rate.rounding)
    if points != subtotal:
        lines.append(EarnLine("rounding", f"rounded {rate.rounding}", points - subtotal))
    cap = program.limits.max_points_per_order
    if points > cap:
        lines.append(EarnLine("cap", f"at most {cap} points per order", Fraction(cap - points)))
        points = cap
    return Earning(points=points, lines=tuple(lines))


def redeemable(available: int, amount: int, rate: RedemptionRate) -> int:
    """The points that could pay for a basket of `amount`: whole steps of the rate, never a
    discount larger than the basket, nothing below the minimum."""
    points = min(available, amount * rate.points // rate.amount)
    points -= points % rate.points
    return points if points >= rate.min_points else 0


def redemption_discount(points: int, program: Program) -> int:
    """Minor units that `points` take off; points must be whole steps of the redemption rate."""
    rate = program.redemption
    return points * rate.amount // rate.points


def within_daily_limit(earning: Earning, earned_today: int, limit: int | None) -> Earning:
    """At most `limit` points a member-day (limits.max_points_per_member_per_day): what is
    past it is not earned, and the breakdown says so."""
    if limit is None:
        return earning
    left = max(limit - earned_today, 0)
    if earning.points <= left:
        return earning
    line = EarnLine(
        "daily_cap",
        f"at most {limit} points a day (limits.max_points_per_member_per_day)",
        Fraction(left - earning.points),
    )
    return Earning(points=left, lines=(*earning.lines, line))
