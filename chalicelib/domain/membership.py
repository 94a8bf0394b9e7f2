"""The member's own changes, in one place: what a purchase, an activity or a check-in earns
(points, growth, the tier it reaches, the activity clock), what a refund takes back, the tier
review (review), the lifecycle (touch, lapse) and the friend's side of a referral.

Pure: no I/O and no clock (`now` is given, ids come from a given function). A use case reads the
member, calls these, then stages what they changed in one transaction; the nightly jobs call the
same use cases, so a rule lives here once and a job cannot drift from a request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from msgspec import Struct

from . import checkin, kpis, rfm, tiers
from .earning import Basket, Earning, earn_points, within_daily_limit
from .expiry import LotTerms, lot_terms
from .limits import CHECKIN, EARNED, Usage, cap_points
from .members import Member
from .money import money
from .orders import OrderRecord, RedemptionRecord
from .points import Lot, PointsAccount, RefundPlan, plan_refund, proportional
from .program import Lifecycle, Program, TierLadder
from .referrals import Referral, qualifies, taken_back_by
from .segments import lifecycle_on

NewId = Callable[[], str]


class TierChange(Struct, frozen=True):
    from_tier: str | None
    to_tier: str | None


class Reached(Struct, frozen=True):
    """What counting a purchase or an activity did to the tier: the change, and the coupon the
    new tier welcomes the member with."""

    change: TierChange | None = None
    welcome_coupon: str | None = None


# -- the activity clock (活跃 / 沉睡 / 流失) -----------------------------------------------------


def touch(program: Program, member: Member, now: datetime) -> None:
    """Activity: the idle clock starts again, and a dormant or churned member is active again
    (the stream reports `member.reactivated` when `dormant_since` is cleared)."""
    member.last_active_at = now
    member.dormant_since = None
    member.churned_since = None
    today = now.astimezone(program.zone).date()
    member.dormant_on = (today + timedelta(days=program.lifecycle.dormant_after_days)).isoformat()


def engage(program: Program, member: Member, now: datetime) -> None:
    """A purchase, a check-in or an activity: `touch`, and the member counts as active on this
    brand-local day in the merchant's figures (enrolling alone does not)."""
    touch(program, member, now)
    member.active_day = kpis.day_of(now, program.zone)


def lifecycle_state(program: Program | None, member: Member, now: datetime) -> str:
    """活跃 / 沉睡 / 流失 now (`segments.lifecycle_on`)."""
    zone = program.zone if program is not None else None
    return lifecycle_on(program, member, now.astimezone(zone).date())


class Lapse(Struct, frozen=True):
    """What the lifecycle job found of an idle member on its lifecycle day."""

    turned_dormant: bool  # dormant from today (member.dormant)
    churned: bool  # churned from today (member.churned)
    nudge: bool  # a win-back coupon is due today (the first day, then every cooldown)


def lapse(rules: Lifecycle, zone: ZoneInfo, member: Member, day: date) -> Lapse:
    """The member idle on `day`, its lifecycle day: dormant from the first such day, churned once
    `churned_after_days` passed since its last activity (brand-local), and its next lifecycle
    day the next win-back nudge or the churn, whichever comes first."""
    zone_day_active = (member.last_active_at or member.created_at).astimezone(zone).date()
    since = date.fromisoformat(member.dormant_since) if member.dormant_since else day
    churn_after = rules.churned_after_days
    churn_day = zone_day_active + timedelta(days=churn_after) if churn_after else None
    cooldown = rules.winback_cooldown_days
    nudge = (day - since).days % cooldown == 0
    upcoming = [day + timedelta(days=cooldown - (day - since).days % cooldown)]
    churns = churn_day is not None and member.churned_since is None and day >= churn_day
    if churn_day is not None and member.churned_since is None and not churns:
        upcoming.append(churn_day)
    found = Lapse(turned_dormant=member.dormant_since is None, churned=churns, nudge=nudge)
    if member.dormant_since is None:
        member.dormant_since = day.isoformat()  # the stream says member.dormant
    if churns:
        member.churned_since = day.isoformat()  # the stream says member.churned
    member.dormant_on = min(upcoming).isoformat()
    return found


# -- tiers -------------------------------------------------------------------------------------


def enter_tier(program: Program, member: Member, tier: str, now: datetime) -> None:
    """The member holds `tier` (one of the program's) from `now`: full grace, its review set."""
    ladder = program.tiers
    if ladder is None:
        return
    member.tier = tier
    member.tier_since = now
    member.tier_grace_left = ladder.grace_periods
    today = now.astimezone(program.zone).date()
    member.tier_review_on = tiers.next_review(today, ladder.window).isoformat()


def qualify(
    program: Program,
    member: Member,
    *,
    occurred: datetime,
    now: datetime,
    amount: int,
    growth: int,
    orders: int = 1,
) -> Reached:
    """Count a purchase (or an activity: no amount, no order) in the member's window and raise
    the tier at once if it now qualifies."""
    member.growth_total += growth
    ladder = program.tiers
    if ladder is None:
        return Reached()
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
        return Reached()
    enter_tier(program, member, raised.new.name, now)
    change = TierChange(from_tier=raised.old, to_tier=raised.new.name)
    return Reached(change, raised.new.benefits.welcome_coupon)


def review(ladder: TierLadder, member: Member, day: date, now: datetime) -> tiers.ReviewDecision:
    """The review of `day` (the member's review day): the tier kept, grace used, or lowered; the
    next review set (none once no tier is held)."""
    decision = tiers.review(ladder, member.tier, member.tier_grace_left, member.tier_metrics, day)
    if decision.changed(member.tier):
        member.tier_since = now if decision.tier else None
    member.tier = decision.tier
    member.tier_grace_left = decision.grace_left
    member.tier_review_on = (
        tiers.next_review(day, ladder.window).isoformat() if decision.tier else None
    )
    return decision


# -- earning -----------------------------------------------------------------------------------


class Purchased(Struct, frozen=True):
    """What a purchase earned the member."""

    earning: Earning
    terms: LotTerms
    status: Literal["pending", "vested", "none"]
    growth: int
    reached: Reached
    occurred_at: datetime  # the basket's moment (now, unless the storefront said when)


def purchase(
    program: Program,
    member: Member,
    account: PointsAccount,
    cart: Basket,
    *,
    order_id: str,
    earned_today: int,
    lot_id: str,
    now: datetime,
) -> Purchased:
    """The purchase's points as one lot (within the daily limit; pending through the return
    window), its growth and the tier it reaches, the activity clock, the figures' days and RFM.
    The tier the member has now sets the multiplier; a tier this purchase reaches applies from
    the next purchase on."""
    today = now.astimezone(program.zone).date()
    earning = within_daily_limit(
        earn_points(cart, program, member.tier),
        earned_today,
        program.limits.max_points_per_member_per_day,
    )
    terms = lot_terms(cart.occurred_at, program, now)
    account.earn(
        Lot(
            lot_id,
            earning.points,
            earning.points,
            cart.occurred_at,
            terms.expires_at,
            terms.vests_at,
            False,
            order_id,
        ),
        reason=f"purchase {order_id}: earned {earning.points} points "
        f"on {money(cart.amount, cart.currency)} (program v{program.version})",
    )
    lot = account.lots.get(lot_id)
    status: Literal["pending", "vested", "none"] = (
        "none" if lot is None else ("pending" if lot.pending else "vested")
    )
    growth = tiers.growth_for(cart.amount, program.growth.per_unit, program.growth.unit_amount)
    reached = qualify(
        program, member, occurred=cart.occurred_at, now=now, amount=cart.amount, growth=growth
    )
    engage(program, member, now)
    kpis.on_purchase(member, today.isoformat())
    member.rfm_weeks = rfm.record(
        member.rfm_weeks,
        cart.occurred_at.astimezone(program.zone).date(),
        orders=1,
        amount=cart.amount,
        today=today,
        window_days=program.rfm.window_days,
    )
    return Purchased(earning, terms, status, growth, reached, cart.occurred_at)


class Refunded(Struct, frozen=True):
    """What a refund took back from the member and gave back to it."""

    plan: RefundPlan
    returned: int  # redeemed points given back
    fully_refunded: bool
    growth_back: int
    referral_taken: int  # the friend's referral reward taken back


def refund(
    program: Program,
    member: Member,
    account: PointsAccount,
    order: OrderRecord,
    redemption: RedemptionRecord | None,
    amount: int,
    now: datetime,
) -> Refunded:
    """Claw back what the refunded part earned, give back the points redeemed on it (to the lots
    they came from, with their expiry), lower the order day's tier metrics and RFM, and take the
    friend's referral reward back when its rewarding purchase did not stay."""
    # A lot spent to nothing was deleted; points given back to it restore it, with the terms
    # the redemption kept (its expiry above all).
    for lot in (redemption.lots if redemption else {}).values():
        account.restore(lot)
    plan = plan_refund(
        order_amount=order.amount,
        refunded_before=order.refunded_amount,
        refund_amount=amount,
        points_earned=order.points_earned,
        clawed_before=order.points_clawed_back,
        redeemed=redemption.allocations if redemption else [],
        expiry_of=lambda lot_id: account.lots[lot_id].expires_at,
        currency=order.currency,
    )
    what = f"refund of {money(amount, order.currency)} on order {order.order_id}"
    account.claw_back(
        plan.clawback,
        order.order_id,
        order.lot_id,
        reason=f"{what}: {plan.clawback} points clawed back",
    )
    returned = sum(n for _, n in plan.returns)
    account.give_back(
        plan.returns,
        order.order_id,
        reason=f"{what}: {returned} redeemed points given back with their original expiry",
    )
    fully = plan.refunded_after == order.amount
    growth_back = (
        proportional(order.growth_earned, plan.refunded_after, order.amount)
        - order.growth_clawed_back
    )
    _uncount(program, member, order.occurred_at, now, amount, fully, growth_back)
    taken = take_back_friend(program, member, account, order, plan.refunded_after, now)
    return Refunded(plan, returned, fully, growth_back, taken)


def _uncount(
    program: Program,
    member: Member,
    occurred: datetime,
    now: datetime,
    amount: int,
    fully_refunded: bool,
    growth: int,
) -> None:
    """Lower the qualifying metrics and RFM of the order's day; a refund never changes the tier
    now (the review does, at the end of the window)."""
    member.growth_total -= growth
    day, today = occurred.astimezone(program.zone).date(), now.astimezone(program.zone).date()
    orders = -1 if fully_refunded else 0
    if program.tiers is not None:
        member.tier_metrics = tiers.record(
            member.tier_metrics,
            program.tiers.window,
            day,
            spend=-amount,
            orders=orders,
            growth=-growth,
            today=today,
        )
    member.rfm_weeks = rfm.record(
        member.rfm_weeks,
        day,
        orders=orders,
        amount=-amount,
        today=today,
        window_days=program.rfm.window_days,
    )


# -- the friend's side of a referral (邀请) ------------------------------------------------------


def refer(member: Member, referrer_id: str, now: datetime) -> None:
    """The new member as the referrer's friend, waiting for its first purchase: kept on the
    friend; the stream consumer lists it in the referrer's partition."""
    member.referral = Referral(referrer_id=referrer_id, enrolled_at=now)


class FriendReward(Struct, frozen=True):
    points: int
    coupon: str | None  # the template the friend is given


def reward_friend(
    program: Program,
    member: Member,
    account: PointsAccount,
    order_id: str,
    amount: int,
    now: datetime,
    new_id: NewId,
) -> FriendReward | None:
    """The friend's first purchase rewards both (the points pending until the return window
    ends): the friend here, in its own write; the referrer by the stream consumer, in the
    referrer's own, as the friend's referral turns rewarded. None: no reward."""
    rules, referral = program.referral, member.referral
    if (
        not rules.enabled
        or referral is None
        or not qualifies(referral, amount, rules.min_order_amount)
    ):
        return None
    window = program.return_window_days
    vests = now + timedelta(days=window) if window else None
    expires = lot_terms(now, program, now).expires_at
    referral.state = "rewarded"
    referral.order_id = order_id
    referral.vests_at = vests
    referral.rewarded_at = now
    if rules.friend_points:
        referral.friend_lot = new_id()
        referral.friend_points = rules.friend_points
        account.earn(
            referral_lot(referral.friend_lot, rules.friend_points, now, expires, vests, order_id),
            reason=f"referral: first purchase {order_id} (invited by a member)",
            kind="referral",
        )
    if rules.referrer_points:  # the referrer's, once the consumer gives it (or the cap stops it)
        referral.referrer_lot = new_id()
        referral.referrer_points = rules.referrer_points
    return FriendReward(referral.friend_points, rules.friend_coupon)


def take_back_friend(
    program: Program,
    member: Member,
    account: PointsAccount,
    order: OrderRecord,
    refunded_after: int,
    now: datetime,
) -> int:
    """The rewarding purchase refunded within its window: the friend's reward taken back here,
    the referrer's by the stream consumer as the referral turns clawed back. Returns the
    friend's points taken back."""
    referral = member.referral
    if referral is None or not taken_back_by(
        referral,
        order.order_id,
        refunded_after,
        order.amount,
        program.referral.min_order_amount,
        now,
    ):
        return 0
    reason = f"referral reward taken back: first purchase {order.order_id} refunded"
    if referral.friend_points:
        account.claw_back(
            referral.friend_points, order.order_id, referral.friend_lot, reason=reason
        )
    referral.state = "clawed_back"
    return referral.friend_points


def referral_lot(
    lot_id: str,
    points: int,
    now: datetime,
    expires: datetime | None,
    vests: datetime | None,
    order_id: str,
) -> Lot:
    """A referral reward's points: one lot, pending as the rewarding purchase's are."""
    return Lot(lot_id, points, points, now, expires, vests, False, order_id)


# -- check-in (签到) -----------------------------------------------------------------------------


class CheckinEarned(Struct, frozen=True):
    """What a check-in earned the member."""

    outcome: checkin.Outcome  # the streak after it and the bonuses it reached
    bonus: int  # the bonuses' points
    points: int  # day points + bonus, after the daily limits
    capped_by: str | None  # the limit that held some back
    reached: Reached


def check_in(
    program: Program,
    member: Member,
    account: PointsAccount,
    *,
    make_up: date | None,
    used: Usage,
    lot_id: str,
    now: datetime,
) -> CheckinEarned:
    """Today's check-in, or a missed day of this month made up: the streak, the day's points and
    streak bonuses as one `checkin` lot (spendable at once) within the daily limits, growth."""
    rules = program.checkin
    today = now.astimezone(program.zone).date()
    day = make_up or today
    if make_up is None:
        outcome = checkin.check_in(member.streak, today, rules)
    else:
        outcome = checkin.make_up(member.streak, day, today, rules)
    member.streak = outcome.streak
    bonus = sum(b.points for b in outcome.bonuses)
    points, capped_by = cap_points(rules.points + bonus, used, program.limits, CHECKIN, EARNED)
    if points:
        capped = f" (capped at {points} by limits.{capped_by})" if capped_by else ""
        extra = "".join(
            f" +{b.points} for a {b.day}-day streak" for b in outcome.bonuses if b.points
        )
        made_up = " (make-up)" if make_up else ""
        account.earn(
            Lot(lot_id, points, points, now, lot_terms(now, program, now).expires_at, None, False),
            reason=f"check-in {day}{made_up}: {rules.points} points{extra}{capped}",
            kind="checkin",
        )
    reached = Reached()
    if rules.growth:
        reached = qualify(
            program, member, occurred=now, now=now, amount=0, growth=rules.growth, orders=0
        )
    engage(program, member, now)
    return CheckinEarned(outcome, bonus, points, capped_by, reached)
