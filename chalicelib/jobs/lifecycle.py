"""Nightly lifecycle jobs: birthday perks and dormancy win-back (唤醒).

Both read one local day's partitions of a sparse, sharded index (members with a birthday; members
by the day they turn dormant), so the work follows the members concerned, not the membership.
Each gift is written with a once-only record (`birthday:<year>`, `winback:<day>`) in the same
transaction as the coupon, so a re-run, or a resumed run, never gives twice. A checkpoint per job
records the last local day finished; missed nights are caught up.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

from msgspec import Struct, field

from ..domain.guards import WriteRejected
from ..domain.members import Member
from ..domain.program import Program
from ..services.deps import Deps
from ..services.shared import issuance
from ..store.keys import DUE_SHARDS
from .checkpoints import days_to_run

FIRST_RUN_DAYS = 3
log = logging.getLogger("loyalty.jobs")


class JobReport(Struct):
    job: str
    as_of: date
    dry_run: bool
    candidates: int = 0
    issued: int = 0
    skipped: int = 0
    given: list[tuple[str, str]] = field(default_factory=list)  # member id, template id


def _run(
    deps: Deps,
    job: str,
    now: datetime,
    days_back: int | None,
    dry_run: bool,
    members_of: Callable[[date, int], Iterator[Member]],
    give: Callable[[Program, Member, date, JobReport], None],
) -> JobReport:
    program = deps.programs.current()
    today = now.astimezone(program.zone).date() if program else now.date()
    report = JobReport(job, today, dry_run)
    if program is None:
        return report
    for day in days_to_run(deps, job, today, days_back, FIRST_RUN_DAYS):
        for shard in range(DUE_SHARDS):
            for member in members_of(day, shard):
                report.candidates += 1
                give(program, member, day, report)
        if not dry_run:
            deps.jobs.advance(job, day, now)
    return report


def _gift(
    deps: Deps,
    program: Program,
    member: Member,
    template_id: str | None,
    once_key: str,
    source: str,
    now: datetime,
    report: JobReport,
    also: Callable[[Member], bool] | None = None,
) -> bool:
    """One coupon and its once-only record in one transaction (plus `also`'s member change)."""
    kind, key = once_key.split(":", 1)
    if template_id is None:
        return _skip(report, member, "the program names no coupon for it")
    if deps.once.get(member.member_id, kind, key) is not None:
        return _skip(report, member, f"already given ({once_key})")
    record = deps.coupons.template(template_id)
    if record is None:
        return _skip(report, member, f"template {template_id} no longer exists")
    if report.dry_run:
        report.given.append((member.member_id, template_id))
        return False
    uow = deps.uow()
    coupon = issuance.stage_issue(deps, uow, member.member_id, record.template, now, source)
    deps.once.stage(uow, member.member_id, kind, key, "", coupon.code)
    if also is not None and also(member):
        deps.members.stage_member(uow, member, now, program.zone)
    try:
        uow.commit()
    except WriteRejected as rejected:
        # out of stock, at its limit, given meanwhile, or the member changed: skipped tonight
        return _skip(report, member, f"{template_id} refused: {rejected}")
    report.issued += 1
    report.given.append((member.member_id, template_id))
    return True


def _skip(report: JobReport, member: Member, reason: str) -> bool:
    report.skipped += 1
    log.info("%s: member %s skipped: %s", report.job, member.member_id, reason)
    return False


def birthday_perks(
    deps: Deps, *, now: datetime, days_back: int | None = None, dry_run: bool = False
) -> JobReport:
    """On a member's birthday (local day; 29 February falls on the 28th in other years), the
    tier's `birthday_gift`, else the program's `birthday_coupon`, once a year."""

    def members_of(day: date, shard: int) -> Iterator[Member]:
        yield from deps.due.birthdays(day.strftime("%m-%d"), shard)
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            yield from deps.due.birthdays("02-29", shard)

    def give(program: Program, member: Member, day: date, report: JobReport) -> None:
        tier = program.tiers.tier(member.tier) if program.tiers else None
        template_id = (tier.benefits.birthday_gift if tier else None) or (
            program.lifecycle.birthday_coupon
        )
        _gift(deps, program, member, template_id, f"birthday:{day.year}", "birthday", now, report)

    return _run(deps, "birthday_perks", now, days_back, dry_run, members_of, give)


def winback(
    deps: Deps, *, now: datetime, days_back: int | None = None, dry_run: bool = False
) -> JobReport:
    """A member idle for `dormant_after_days` gets the win-back coupon; if still idle, again
    after each `winback_cooldown_days`. Any purchase moves the day (see services.lifecycle)."""

    def members_of(day: date, shard: int) -> Iterator[Member]:
        for member in deps.due.turning_dormant(day.isoformat(), shard):
            if member.dormant_on == day.isoformat():  # the index is eventually consistent
                yield member

    def give(program: Program, member: Member, day: date, report: JobReport) -> None:
        cooldown = program.lifecycle.winback_cooldown_days
        newly = member.dormant_since is None

        def next_nudge(m: Member) -> bool:
            m.dormant_on = (day + timedelta(days=cooldown)).isoformat()
            if newly:
                m.dormant_since = day.isoformat()  # the stream says member.dormant
            return True

        given = _gift(
            deps,
            program,
            member,
            program.lifecycle.winback_coupon,
            f"winback:{day.isoformat()}",
            "dormancy",
            now,
            report,
            also=next_nudge,
        )
        if newly and not given and not report.dry_run:
            _mark_dormant(deps, program, member, day, now, report)

    return _run(deps, "winback", now, days_back, dry_run, members_of, give)


def _mark_dormant(
    deps: Deps, program: Program, member: Member, day: date, now: datetime, report: JobReport
) -> None:
    """No coupon went with it: the member is marked dormant on its own."""
    member.dormant_since = day.isoformat()
    uow = deps.uow()
    deps.members.stage_member(uow, member, now, program.zone)
    try:
        uow.commit()
    except WriteRejected as rejected:  # the member was active meanwhile: not dormant after all
        log.info("winback: member %s changed meanwhile (%s)", member.member_id, rejected)
