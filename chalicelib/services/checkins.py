"""签到: check in once a brand-local day (a second check-in that day gets the first answer),
points by the program's schedule and streak bonuses, a missed day made up within the month.
The points are a `checkin` lot and ledger row, written with the member, the day and the day's
usage in one transaction (the rules: `domain.membership.check_in`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Protocol

from ..contract.engagement import CheckinRequest
from ..domain import checkin
from ..domain.checkin import CheckinDay
from ..domain.errors import AlreadyCheckedIn, CheckinOff
from ..domain.limits import CHECKIN, EARNED, points_used
from ..domain.membership import check_in as earn
from ..domain.outcomes import CheckedIn, CheckinMonth, MemberNow, NextBonus
from ..domain.program import Checkin, Program
from ..store.checkins import CheckinStore
from ..store.members import MemberStore
from ..store.program import ProgramCache
from .shared import issuance, limits, writes
from .shared.writes import Answer, Idem, Present, run_write


class Needs(writes.Needs, issuance.Needs, limits.Needs, Protocol):
    programs: ProgramCache
    members: MemberStore
    checkins: CheckinStore

    @property
    def new_id(self) -> Callable[[datetime], str]: ...


def _rules(program: Program) -> Checkin:
    if not program.checkin.enabled:
        raise CheckinOff("the program has no daily check-in (set checkin.enabled)", param=None)
    return program.checkin


def _next_bonus(streak: checkin.Streak, today: date, rules: Checkin) -> NextBonus | None:
    bonus = checkin.next_bonus(streak, today, rules)
    if bonus is None:
        return None
    in_days = max(bonus.day - streak.current(today), 1)
    return NextBonus(bonus.day, in_days, bonus.points, bonus.coupon)


def check_in(
    d: Needs,
    member_id: str,
    request: CheckinRequest,
    idem: Idem | None,
    present: Present[CheckedIn],
) -> Answer:
    program = d.programs.require()
    rules = _rules(program)
    skip: dict[str, str] = {}  # rule coupons refused in an earlier attempt: the retry goes without
    attempt = partial(_check_in, d, program, rules, member_id, request, skip, idem, present)
    return run_write(d, idem, attempt)


def _check_in(
    d: Needs,
    program: Program,
    rules: Checkin,
    member_id: str,
    request: CheckinRequest,
    skip: dict[str, str],
    idem: Idem | None,
    present: Present[CheckedIn],
) -> Answer:
    now = d.clock()
    today = now.astimezone(program.zone).date()
    day, makeup = request.make_up or today, request.make_up is not None
    found = d.checkins.day(member_id, day)
    if found is not None:
        if request.make_up is None or found.makeup:  # the same check-in again
            return Answer(found.response, created=True, replayed=True)
        raise AlreadyCheckedIn(f"{day} is checked in already", param="make_up")
    member, account = d.members.load_account(member_id, now)
    used = limits.usage_today(d, program.limits, member_id, today, EARNED, CHECKIN)
    done = earn(
        program, member, account, make_up=request.make_up, used=used, lot_id=d.new_id(now), now=now
    )
    uow = d.uow()
    templates = [done.reached.welcome_coupon, *(b.coupon for b in done.outcome.bonuses)]
    staged = [
        issuance.stage_rule_coupon(d, uow, member_id, template_id, now, "checkin", skip)
        for template_id in templates
    ]
    d.members.stage_account(
        uow, member, account, zone=program.zone, now=now, new_id=lambda: d.new_id(now)
    )
    used_now = points_used(program.limits, done.points, checkin=True)
    d.usage.stage(uow, member_id, today, program.zone, used_now)
    body = present(
        CheckedIn(
            day=day,
            makeup=makeup,
            points=done.points,
            day_points=rules.points,
            bonus_points=done.bonus,
            capped_by=done.capped_by,
            streak=done.outcome.length,
            next_bonus=_next_bonus(member.streak, today, rules),
            growth=rules.growth,
            reached=done.reached,
            issued=[coupon for coupon in staged if coupon is not None],
            skipped=dict(skip),
            seen=MemberNow(member, program, now),
        )
    )
    record = CheckinDay(day.isoformat(), done.points, done.bonus, done.outcome.length, makeup, body)
    home = d.checkins.stage(uow, member_id, record)
    # the day checked in meanwhile, or the usage moved: run_write reads again
    answer = Answer(body, created=True, home=home)
    return issuance.commit_with_rule_coupons(d, uow, idem, answer, skip)


def calendar(d: Needs, member_id: str, month: str | None) -> CheckinMonth:
    """The month's check-in days (default: this brand-local month) and the streak as of now."""
    program = d.programs.require()
    rules = _rules(program)
    member = d.members.member(member_id)
    today = d.clock().astimezone(program.zone).date()
    month = month or today.isoformat()[:7]
    return CheckinMonth(
        month=month,
        days=d.checkins.month(member_id, month),
        streak=member.streak.current(today),
        checked_in_today=member.streak.checked_in(today),
        makeups_left=member.streak.makeups_left(rules, today),
        next_bonus=_next_bonus(member.streak, today, rules),
    )
