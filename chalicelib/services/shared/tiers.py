"""Tier bookkeeping inside the purchase and refund transactions, and the member's progress."""

from __future__ import annotations

from datetime import datetime

from ...contract.members import TierChangeOut, TierProgressOut
from ...domain import tiers
from ...domain.members import Member
from ...domain.program import Program


def on_purchase(
    program: Program,
    member: Member,
    *,
    occurred: datetime,
    now: datetime,
    amount: int,
    growth: int,
    orders: int = 1,
) -> tuple[TierChangeOut | None, str | None]:
    """Count a purchase (or an activity: no amount, no order) in the member's window and raise
    the tier at once if it now qualifies. Returns the change and the new tier's welcome coupon."""
    member.growth_total += growth
    ladder = program.tiers
    if ladder is None:
        return None, None
    today = now.astimezone(program.zone).date()
    member.tier_metrics = tiers.record(
        member.tier_metrics,
        ladder.window,
        occurred.astimezone(program.zone).date(),
        spend=amount,
        orders=orders,
        growth=growth,
        today=today,
    )
    raised = tiers.upgrade(ladder, member.tier, member.tier_metrics, today)
    if raised is None:
        if member.tier is not None and member.tier_review_on is None:
            member.tier_review_on = tiers.next_review(today, ladder.window).isoformat()
        return None, None
    enter(program, member, raised.new.name, now)
    change = TierChangeOut(from_tier=raised.old, to_tier=raised.new.name)
    return change, raised.new.benefits.welcome_coupon


def enter(program: Program, member: Member, tier: str, now: datetime) -> None:
    """The member holds `tier` (one of the program's) from `now`: full grace, its review set."""
    ladder = program.tiers
    if ladder is None:
        return
    member.tier = tier
    member.tier_since = now
    member.tier_grace_left = ladder.grace_periods
    today = now.astimezone(program.zone).date()
    member.tier_review_on = tiers.next_review(today, ladder.window).isoformat()


def on_refund(
    program: Program,
    member: Member,
    *,
    occurred: datetime,
    now: datetime,
    amount: int,
    order_fully_refunded: bool,
    growth: int,
) -> None:
    """Lower the qualifying metrics of the order's day; a refund never changes the tier now
    (the review does, at the end of the window)."""
    member.growth_total -= growth
    ladder = program.tiers
    if ladder is None:
        return
    member.tier_metrics = tiers.record(
        member.tier_metrics,
        ladder.window,
        occurred.astimezone(program.zone).date(),
        spend=-amount,
        orders=-1 if order_fully_refunded else 0,
        growth=-growth,
        today=now.astimezone(program.zone).date(),
    )


def progress(program: Program | None, member: Member, now: datetime) -> TierProgressOut | None:
    if program is None or program.tiers is None:
        return None
    found = tiers.progress(
        program.tiers, member.tier, member.tier_metrics, now.astimezone(program.zone).date()
    )
    return TierProgressOut(
        metric=found.metric,
        value=found.value,
        window_start=found.window_start,
        window_end=found.window_end,
        next_tier=found.next_tier,
        missing=found.missing,
    )


def benefits(program: Program | None, member: Member) -> dict[str, object] | None:
    tier = program.tiers.tier(member.tier) if program and program.tiers else None
    return tier.benefits.model_dump(mode="json") if tier else None
