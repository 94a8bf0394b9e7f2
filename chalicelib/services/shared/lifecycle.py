"""A member's activity clock: every purchase or activity starts the idle days again."""

from __future__ import annotations

from datetime import datetime, timedelta

from ...domain.kpis import day_of
from ...domain.members import Member
from ...domain.program import Program
from ...domain.segments import lifecycle_on


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
    member.active_day = day_of(now, program.zone)


def state(program: Program | None, member: Member, now: datetime) -> str:
    """活跃 / 沉睡 / 流失 now (`segments.lifecycle_on`)."""
    zone = program.zone if program is not None else None
    return lifecycle_on(program, member, now.astimezone(zone).date())
