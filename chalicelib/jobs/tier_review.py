"""The tier review on the runner: at the end of each window, members whose tier may drop are
re-evaluated.

Candidates come from the sparse, sharded review index (only members holding a tier carry a
review day), so the work grows with the candidates, not with the membership. A reviewed member
moves to its next review day in the same write, so re-running a day, or resuming after a kill,
changes nothing more."""

from datetime import date

from ..domain import tiers
from ..domain.members import Member
from ..domain.program import Program
from ..services import tier_reviews
from ..store import keys
from ..store.due import Page
from .runner import Job, Night


def _partitions(program: Program, day: date) -> list[str]:
    if program.tiers is None:
        return []
    return keys.shards("REVIEW", day.isoformat())


def _review(night: Night, member: Member | None) -> None:
    done = tier_reviews.review(
        night.deps, night.program, member, night.day, night.now, night.dry_run
    )
    if done.outcome == "gone":
        night.counts["gone"] += 1
    elif done.outcome == "moved":
        night.counts["moved_meanwhile"] += 1  # reviewed meanwhile (the index lags the item)
    if member is None or done.decision is None:
        return
    _count(night, member.member_id, done.tier_before, done.grace_before, done.decision)


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
