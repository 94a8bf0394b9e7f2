"""签到: check in once a brand-local day (a second check-in that day gets the first answer),
points by the program's schedule and streak bonuses, a missed day made up within the month.
The points are a `checkin` lot and ledger row, written with the member, the day and the day's
usage in one transaction."""

from __future__ import annotations

from datetime import date

from ..contract.engagement import (
    CheckinCalendarOut,
    CheckinDayOut,
    CheckinOut,
    CheckinRequest,
    NextBonusOut,
)
from ..domain import checkin
from ..domain.errors import AlreadyCheckedIn, CheckinOff
from ..domain.expiry import lot_terms
from ..domain.guards import WriteRejected
from ..domain.points import Lot
from ..domain.program import Checkin, Program, StreakBonus
from ..store.checkins import CheckinDay
from .deps import Deps
from .shared import issuance, lifecycle, tiers
from .shared.limits import CHECKIN, EARNED, cap_points, points_used, usage_today
from .shared.presenters import coupon_out, member_out, skipped_out
from .shared.writes import Answer, Idem, run_write, stage_answer


def _rules(program: Program) -> Checkin:
    if not program.checkin.enabled:
        raise CheckinOff("the program has no daily check-in (set checkin.enabled)", param=None)
    return program.checkin


def _next_bonus(streak: checkin.Streak, today: date, rules: Checkin) -> NextBonusOut | None:
    bonus = checkin.next_bonus(streak, today, rules)
    if bonus is None:
        return None
    return NextBonusOut(
        day=bonus.day,
        in_days=max(bonus.day - streak.current(today), 1),
        points=bonus.points,
        coupon=bonus.coupon,
    )


def check_in(deps: Deps, member_id: str, request: CheckinRequest, idem: Idem | None) -> Answer:
    program = deps.programs.require()
    rules = _rules(program)
    skip_coupons: dict[str, str] = {}

    def attempt() -> Answer:
        now = deps.clock()
        today = now.astimezone(program.zone).date()
        day = request.make_up or today
        found = deps.checkins.day(member_id, day)
        if found is not None:
            if request.make_up is None or found.makeup:  # the same check-in again
                return Answer(found.response, created=True, replayed=True)
            raise AlreadyCheckedIn(f"{day} is checked in already", param="make_up")
        member, account = deps.members.load_account(member_id, now)
        if request.make_up is None:
            outcome = checkin.check_in(member.streak, today, rules)
        else:
            outcome = checkin.make_up(member.streak, day, today, rules)
        member.streak = outcome.streak
        bonus = sum(b.points for b in outcome.bonuses)
        limits = program.limits
        used = usage_today(deps, limits, member_id, today, EARNED, CHECKIN)
        points, capped_by = cap_points(rules.points + bonus, used, limits, CHECKIN, EARNED)
        if points:
            terms = lot_terms(now, program, now)
            account.earn(
                Lot(
                    lot_id=deps.new_id(now),
                    points=points,
                    remaining=points,
                    earned_at=now,
                    expires_at=terms.expires_at,
                    vests_at=None,  # nothing to return: spendable at once
                    pending=False,
                ),
                reason=_reason(
                    day,
                    request.make_up is not None,
                    rules.points,
                    outcome.bonuses,
                    f" (capped at {points} by limits.{capped_by})" if capped_by else "",
                ),
                kind="checkin",
            )
        change = welcome = None
        if rules.growth:
            change, welcome = tiers.on_purchase(
                program, member, occurred=now, now=now, amount=0, growth=rules.growth, orders=0
            )
        lifecycle.engage(program, member, now)
        uow = deps.uow()
        issued = [
            coupon
            for template_id in [welcome, *(b.coupon for b in outcome.bonuses)]
            if (
                coupon := issuance.stage_rule_coupon(
                    deps, uow, member_id, template_id, now, "checkin", skip_coupons
                )
            )
        ]
        deps.members.stage_account(
            uow, member, account, zone=program.zone, now=now, new_id=lambda: deps.new_id(now)
        )
        deps.usage.stage(
            uow, member_id, today, program.zone, points_used(limits, points, checkin=True)
        )
        body = CheckinOut(
            day=day,
            makeup=request.make_up is not None,
            points_earned=points,
            day_points=rules.points,
            bonus_points=bonus,
            capped_by=capped_by and f"limits.{capped_by}",
            streak=outcome.length,
            next_bonus=_next_bonus(member.streak, today, rules),
            growth_earned=rules.growth,
            tier_changed=change,
            coupons_issued=[coupon_out(coupon, now) for coupon in issued],
            coupons_skipped=skipped_out(skip_coupons),
            member=member_out(member, program, now),
        ).model_dump_json()
        record = CheckinDay(
            day.isoformat(), points, bonus, outcome.length, request.make_up is not None, body
        )
        home = deps.checkins.stage(uow, member_id, record)
        answer = stage_answer(deps, uow, idem, Answer(body, created=True, home=home))
        try:
            uow.commit()
        except WriteRejected as rejected:
            issuance.skip_refused_rule_coupons(rejected, skip_coupons)
            raise  # read again: the day was checked in meanwhile, or the usage moved
        return answer

    return run_write(deps, idem, attempt)


def _reason(
    day: date, makeup: bool, day_points: int, bonuses: tuple[StreakBonus, ...], capped: str
) -> str:
    extra = "".join(f" +{b.points} for a {b.day}-day streak" for b in bonuses if b.points)
    return f"check-in {day}{' (make-up)' if makeup else ''}: {day_points} points{extra}{capped}"


def calendar(deps: Deps, member_id: str, month: str | None) -> CheckinCalendarOut:
    """The month's check-in days (default: this brand-local month) and the streak as of now."""
    program = deps.programs.require()
    rules = _rules(program)
    member = deps.members.member(member_id)
    today = deps.clock().astimezone(program.zone).date()
    month = month or today.isoformat()[:7]
    days = deps.checkins.month(member_id, month)
    return CheckinCalendarOut(
        month=month,
        days=[
            CheckinDayOut(
                day=date.fromisoformat(d.day),
                points=d.points,
                bonus_points=d.bonus_points,
                streak=d.streak,
                makeup=d.makeup,
            )
            for d in days
        ],
        streak=member.streak.current(today),
        checked_in_today=member.streak.checked_in(today),
        makeups_left=member.streak.makeups_left(rules, today),
        next_bonus=_next_bonus(member.streak, today, rules),
    )
