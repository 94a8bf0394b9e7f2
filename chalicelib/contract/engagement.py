"""Engagement: activities (成长值), check-in (签到) and its calendar, referrals (邀请)."""

from datetime import date, datetime
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from ..domain.bounds import Day
from ..domain.outcomes import ActivityRecorded, CheckedIn, CheckinMonth, Friends, NextBonus
from ..domain.referrals import Referral
from .common import OrderId, Request, Response
from .coupons import CouponOut, SkippedCouponOut, coupon_out, skipped_out
from .members import MemberOut, TierChangeOut, member_out, tier_change_out


class ActivityRequest(Request):
    activity: str = Field(min_length=1, max_length=32, description="a key of growth.activities")
    activity_id: OrderId = Field(description="your id for this event; counted once")


class ActivityOut(Response):
    activity: str
    activity_id: str
    growth_earned: int
    tier_changed: TierChangeOut | None
    coupons_issued: list[CouponOut]
    member: MemberOut
    coupons_skipped: list[SkippedCouponOut] = Field(default_factory=list)


class CheckinRequest(Request):
    make_up: Day | None = Field(
        None,
        description="补签: a missed past day of this month, one of checkin.makeups_per_month; "
        "without it, today (brand-local)",
    )


class NextBonusOut(Response):
    day: int = Field(description="the streak length that earns it")
    in_days: int = Field(description="check-ins still needed")
    points: int
    coupon: str | None


class CheckinOut(Response):
    day: date = Field(description="the brand-local day checked in")
    makeup: bool
    points_earned: int = Field(description="day_points + bonus_points, after the daily limits")
    day_points: int
    bonus_points: int = Field(description="the streak bonuses this check-in reached")
    capped_by: str | None = Field(None, description="the limit that held points back")
    streak: int = Field(description="consecutive days checked in, this one included")
    next_bonus: NextBonusOut | None
    growth_earned: int
    tier_changed: TierChangeOut | None
    coupons_issued: list[CouponOut]
    coupons_skipped: list[SkippedCouponOut] = Field(default_factory=list)
    member: MemberOut


class CheckinDayOut(Response):
    day: date
    points: int
    bonus_points: int
    streak: int
    makeup: bool


class CheckinCalendarOut(Response):
    month: str
    days: list[CheckinDayOut]
    streak: int = Field(description="the current streak (0 once a day was missed)")
    checked_in_today: bool
    makeups_left: int = Field(description="make-ups (补签) left this month")
    next_bonus: NextBonusOut | None


class FriendOut(Response):
    member_id: str
    enrolled_at: datetime
    status: Literal["waiting", "pending", "rewarded", "clawed_back"] = Field(
        description="waiting for a first purchase; pending until its return window ends; "
        "rewarded; clawed_back (the first purchase was refunded)"
    )
    order_id: str | None = Field(description="the first purchase")
    referrer_points: int = Field(description="what the referrer got for this friend")
    vests_at: datetime | None
    referrer_capped: bool = Field(description="the referrer's monthly limit held its reward back")


class ReferralsOut(Response):
    referral_code: str
    friends: list[FriendOut] = Field(description="newest first")
    rewarded_this_month: int
    max_rewards_per_month: int | None


class CalendarQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    month: str | None = Field(
        None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; default this month"
    )


# -- presenters --------------------------------------------------------------------------------


def next_bonus_out(bonus: NextBonus | None) -> NextBonusOut | None:
    if bonus is None:
        return None
    return NextBonusOut(
        day=bonus.day, in_days=bonus.in_days, points=bonus.points, coupon=bonus.coupon
    )


def activity_out(done: ActivityRecorded) -> ActivityOut:
    now = done.seen.now
    return ActivityOut(
        activity=done.activity,
        activity_id=done.activity_id,
        growth_earned=done.growth,
        tier_changed=tier_change_out(done.reached),
        coupons_issued=[coupon_out(coupon, now) for coupon in done.issued],
        coupons_skipped=skipped_out(done.skipped),
        member=member_out(done.seen),
    )


def checkin_out(done: CheckedIn) -> CheckinOut:
    now = done.seen.now
    return CheckinOut(
        day=done.day,
        makeup=done.makeup,
        points_earned=done.points,
        day_points=done.day_points,
        bonus_points=done.bonus_points,
        capped_by=done.capped_by and f"limits.{done.capped_by}",
        streak=done.streak,
        next_bonus=next_bonus_out(done.next_bonus),
        growth_earned=done.growth,
        tier_changed=tier_change_out(done.reached),
        coupons_issued=[coupon_out(coupon, now) for coupon in done.issued],
        coupons_skipped=skipped_out(done.skipped),
        member=member_out(done.seen),
    )


def calendar_out(found: CheckinMonth) -> CheckinCalendarOut:
    return CheckinCalendarOut(
        month=found.month,
        days=[
            CheckinDayOut(
                day=date.fromisoformat(d.day),
                points=d.points,
                bonus_points=d.bonus_points,
                streak=d.streak,
                makeup=d.makeup,
            )
            for d in found.days
        ],
        streak=found.streak,
        checked_in_today=found.checked_in_today,
        makeups_left=found.makeups_left,
        next_bonus=next_bonus_out(found.next_bonus),
    )


def _friend_status(
    referral: Referral, now: datetime
) -> Literal["waiting", "pending", "rewarded", "clawed_back"]:
    vested = referral.vests_at is None or referral.vests_at <= now
    if referral.state == "rewarded" and not vested:
        return "pending"
    return referral.state


def referrals_out(found: Friends) -> ReferralsOut:
    return ReferralsOut(
        referral_code=found.referral_code,
        friends=[
            FriendOut(
                member_id=friend.friend_id,
                enrolled_at=friend.referral.enrolled_at,
                status=_friend_status(friend.referral, found.now),
                order_id=friend.referral.order_id,
                referrer_points=friend.referral.referrer_points,
                vests_at=friend.referral.vests_at,
                referrer_capped=friend.referral.referrer_capped,
            )
            for friend in found.friends
        ],
        rewarded_this_month=found.rewarded_this_month,
        max_rewards_per_month=found.max_rewards_per_month,
    )
