"""The tier review: at the end of each window, members whose tier may drop are re-evaluated.

Candidates come from the sparse, sharded review index (only members holding a tier carry a
review day), so the work grows with the candidates, not with the membership. A reviewed member
moves to its next review day in the same write, so re-running a day, or resuming after a kill,
changes nothing more. `dry_run` reports what would change and writes nothing.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from msgspec import Struct, field

from ..domain import tiers
from ..domain.guards import WriteRejected
from ..domain.members import Member
from ..domain.program import TierLadder
from ..services.deps import Deps
from ..store.keys import DUE_SHARDS
from .checkpoints import days_to_run


class ReviewReport(Struct):
    as_of: date
    dry_run: bool
    candidates: int = 0
    kept: int = 0
    grace_used: int = 0
    downgraded: int = 0
    changes: list[tuple[str, str | None, str | None]] = field(default_factory=list)


JOB = "tier_review"
log = logging.getLogger("loyalty.jobs")
FIRST_RUN_DAYS = 31


def review_tiers(
    deps: Deps, *, now: datetime, days_back: int | None = None, dry_run: bool = False
) -> ReviewReport:
    """Review every member due on the local days since the last finished run, through today
    (a night the job did not run is caught up). `days_back` re-reads that many days instead."""
    program = deps.programs.current()
    today = now.astimezone(program.zone).date() if program else now.date()
    report = ReviewReport(as_of=today, dry_run=dry_run)
    if program is None or program.tiers is None:
        return report
    for day in days_to_run(deps, JOB, today, days_back, FIRST_RUN_DAYS):
        for shard in range(DUE_SHARDS):
            for member in deps.due.due_for_review(day.isoformat(), shard):
                _review_one(deps, program.tiers, program.zone, member, day, now, report)
        if not dry_run:
            deps.jobs.advance(JOB, day, now)
    return report


def _review_one(
    deps: Deps,
    ladder: TierLadder,
    zone: ZoneInfo,
    member: Member,
    day: date,
    now: datetime,
    report: ReviewReport,
) -> None:
    for _ in range(deps.settings.write_attempts):
        if member.tier_review_on != day.isoformat():
            # reviewed meanwhile (the index is eventually consistent)
            log.info(
                "tier review: member %s already reviewed for %s; skipped", member.member_id, day
            )
            return
        report.candidates += 1
        decision = tiers.review(
            ladder, member.tier, member.tier_grace_left, member.tier_metrics, day
        )
        before = member.tier
        if decision.changed(before):
            report.downgraded += 1
            report.changes.append((member.member_id, before, decision.tier))
        elif decision.grace_left < member.tier_grace_left:
            report.grace_used += 1
        else:
            report.kept += 1
        if report.dry_run:
            return
        member.tier = decision.tier
        member.tier_grace_left = decision.grace_left
        if decision.changed(before):
            member.tier_since = now if decision.tier else None
        member.tier_review_on = (
            tiers.next_review(day, ladder.window).isoformat() if decision.tier else None
        )
        uow = deps.uow()
        deps.members.stage_member(uow, member, now, zone)
        try:
            uow.commit()
            return
        except WriteRejected:
            log.info(
                "tier review: member %s changed while reviewed; reading it again", member.member_id
            )
            report.candidates -= 1  # counted again on the retry
            if decision.changed(before):
                report.downgraded -= 1
                report.changes.pop()
            fresh = deps.members.get_member(member.member_id)
            if fresh is None:
                log.warning("tier review: member %s is gone; skipped", member.member_id)
                return
            member = fresh
