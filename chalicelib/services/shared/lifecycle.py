"""A member's activity clock: every purchase or activity pushes back the day it turns dormant."""

from __future__ import annotations

from datetime import datetime, timedelta

from ...domain.members import Member
from ...domain.program import Program


def touch(program: Program, member: Member, now: datetime) -> None:
    """Activity: the idle clock starts again, and a dormant member is active again (the stream
    reports `member.reactivated` when `dormant_since` is cleared)."""
    member.last_active_at = now
    member.dormant_since = None
    today = now.astimezone(program.zone).date()
    member.dormant_on = (today + timedelta(days=program.lifecycle.dormant_after_days)).isoformat()


def state(program: Program | None, member: Member, now: datetime) -> str:
    """沉睡会员: dormant from the local day the member's idle period runs out."""
    if program is None or member.dormant_on is None:
        return "active"
    today = now.astimezone(program.zone).date().isoformat()
    return "dormant" if today >= member.dormant_on else "active"
