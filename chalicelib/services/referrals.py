"""邀请: a member's code and the friends who enrolled with it, with what each brought."""

from __future__ import annotations

from typing import Protocol

from ..domain.outcomes import Friends
from ..domain.program import Program
from ..store.members import MemberStore
from ..store.program import ProgramCache
from ..store.referrals import ReferralStore
from .shared import referrals, writes
from .shared.referrals import give_code
from .shared.writes import retry


class Needs(writes.Needs, referrals.Needs, Protocol):
    members: MemberStore
    programs: ProgramCache
    referrals: ReferralStore


def list_friends(d: Needs, member_id: str) -> Friends:
    program = d.programs.require()
    member = d.members.member(member_id)
    code = member.referral_code or _give_code(d, program, member_id)
    now = d.clock()
    month = now.astimezone(program.zone).isoformat()[:7]
    return Friends(
        referral_code=code,
        friends=d.referrals.friends(member_id),
        now=now,
        rewarded_this_month=d.referrals.rewards_in(member_id, month),
        max_rewards_per_month=program.referral.max_rewards_per_month,
    )


def _give_code(d: Needs, program: Program, member_id: str) -> str:
    """A member enrolled before referrals: its code, once."""

    def attempt() -> str:
        fresh = d.members.member(member_id)
        if fresh.referral_code is None:
            uow = d.uow()
            give_code(d, uow, fresh)
            d.members.stage_member(uow, fresh, d.clock(), program.zone)
            uow.commit()
        assert fresh.referral_code is not None
        return fresh.referral_code

    return retry(d, attempt)
