"""Use case (nightly): a member's tier review on its review day (`domain.membership.review`),
written with the member's version, and the next review day set in the same write."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Protocol

from msgspec import Struct

from ..domain import tiers
from ..domain.guards import WriteRejected
from ..domain.members import Member
from ..domain.membership import review as review_tier
from ..domain.program import Program
from ..store.members import MemberStore
from .shared import writes


class Needs(writes.Needs, Protocol):
    members: MemberStore


class Reviewed(Struct, frozen=True):
    """What the review did: `moved` (reviewed meanwhile: the index lags the item), `gone` (no
    such member) or `busy` (it kept changing under every attempt) change nothing."""

    outcome: Literal["reviewed", "moved", "gone", "busy"]
    tier_before: str | None = None
    grace_before: int = 0
    decision: tiers.ReviewDecision | None = None


def review(
    d: Needs, program: Program, member: Member | None, day: date, now: datetime, dry_run: bool
) -> Reviewed:
    """Review `member` (as the job's page read it) for `day`; read again if it changed."""
    ladder = program.tiers
    assert ladder is not None
    for attempt_no in range(d.settings.write_attempts):
        if member is None:
            return Reviewed("gone")
        if member.tier_review_on != day.isoformat():
            return Reviewed("moved")
        before, grace_before = member.tier, member.tier_grace_left
        decision = review_tier(ladder, member, day, now)
        if not dry_run:
            uow = d.uow()
            d.members.stage_member(uow, member, now, program.zone)
            try:
                uow.commit()
            except WriteRejected:
                member = d.members.get_member(member.member_id)
                d.backoff(attempt_no)
                continue
        return Reviewed("reviewed", before, grace_before, decision)
    return Reviewed("busy")
