"""The tier review on the runner: at the end of each window, members whose tier may drop are
re-evaluated.

Candidates come from the sparse, sharded review index (only members holding a tier carry a
review day), so the work grows with the candidates, not with the membership. A reviewed member
moves to its next review day in the same write, so re-running a day, or resuming after a kill,
changes nothing more."""

import logging
from datetime import date

from ..domain import tiers
from ..domain.guards import WriteRejected
from ..domain.members import Member
from ..domain.program import Program
from ..store import keys
from ..store.due import Page
from .runner import Job, Night

log = logging.getLogger("loyalty.jobs")


def _partitions(program: Program, day: date) -> list[str]:
    if program.tiers is None:
        return []
    return keys.shards("REVIEW", day.isoformat())


def _review(night: Night, member: Member | None) -> None:
    ladder, day, counts = night.program.tiers, night.day, night.counts
    assert ladder is not None
    for _ in range(night.deps.settings.write_attempts):
        if member is None:
            counts["gone"] += 1
            return
        if member.tier_review_on != day.isoformat():
            counts["moved_meanwhile"] += 1  # reviewed meanwhile (the index lags the item)
            return
        decision = tiers.review(
            ladder, member.tier, member.tier_grace_left, member.tier_metrics, day
        )
        before, grace_before = member.tier, member.tier_grace_left
        if night.dry_run:
            _count(night, member.member_id, before, grace_before, decision)
            return
        member.tier = decision.tier
        member.tier_grace_left = decision.grace_left
        if decision.changed(before):
            member.tier_since = night.now if decision.tier else None
        member.tier_review_on = (
            tiers.next_review(day, ladder.window).isoformat() if decision.tier else None
        )
        uow = night.deps.uow()
        night.deps.members.stage_member(uow, member, night.now, night.program.zone)
        try:
            uow.commit()
        except WriteRejected:
            log.info("tier review: member %s changed while reviewed; again", member.member_id)
            member = night.deps.members.get_member(member.member_id)
            continue
        _count(night, member.member_id, before, grace_before, decision)
        return


def _count(
    night: Night,
    member_id: str,
    before: str | None,
    grace_before: int,
    decision: tiers.ReviewDecision,
) -> None:
    night.counts["members"] += 1
    if decision.changed(before):
        night.counts["downgraded"] += 1
        night.event("tier.changed")
        night.changes.append({"member_id": member_id, "from": before, "to": decision.tier})
    elif decision.grace_left < grace_before:
        night.counts["grace_used"] += 1
    else:
        night.counts["kept"] += 1


def _page(night: Night, partition: str, page: Page) -> None:
    members = night.deps.due.members(page.member_ids())
    night.each(members, lambda m: m.member_id, lambda m: _review(night, m))


TIER_REVIEW = Job(
    name="tier-review",
    when="on",
    partitions=_partitions,
    handle=_page,
    changed="downgraded",
    first_run_days=31,
)
