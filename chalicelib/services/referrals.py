"""邀请: a member's code and the friends who enrolled with it, with what each brought."""

from __future__ import annotations

from typing import Literal, Protocol

from ..contract.engagement import FriendOut, ReferralsOut
from ..domain.referrals import Referral
from ..store.members import MemberStore
from ..store.program import ProgramCache
from ..store.referrals import ReferralStore
from .shared import referrals, writes
from .shared.referrals import give_code
from .shared.writes import Answer, run_write


class Needs(writes.Needs, referrals.Needs, Protocol):
    members: MemberStore
    programs: ProgramCache
    referrals: ReferralStore


def _status(
    referral: Referral, now_after_vesting: bool
) -> Literal["waiting", "pending", "rewarded", "clawed_back"]:
    if referral.state == "rewarded" and not now_after_vesting:
        return "pending"
    return referral.state


def list_friends(d: Needs, member_id: str) -> ReferralsOut:
    program = d.programs.require()
    member = d.members.member(member_id)
    if member.referral_code is None:  # enrolled before referrals: its code, once

        def attempt() -> Answer:
            fresh = d.members.member(member_id)
            if fresh.referral_code is None:
                uow = d.uow()
                give_code(d, uow, fresh)
                d.members.stage_member(uow, fresh, d.clock(), program.zone)
                uow.commit()
            return Answer(fresh.referral_code or "")

        code = run_write(d, None, attempt).body
    else:
        code = member.referral_code
    now = d.clock()
    month = now.astimezone(program.zone).isoformat()[:7]
    friends = [
        FriendOut(
            member_id=friend.friend_id,
            enrolled_at=friend.referral.enrolled_at,
            status=_status(
                friend.referral,
                friend.referral.vests_at is None or friend.referral.vests_at <= now,
            ),
            order_id=friend.referral.order_id,
            referrer_points=friend.referral.referrer_points,
            vests_at=friend.referral.vests_at,
            referrer_capped=friend.referral.referrer_capped,
        )
        for friend in d.referrals.friends(member_id)
    ]
    return ReferralsOut(
        referral_code=code,
        friends=friends,
        rewarded_this_month=d.referrals.rewards_in(member_id, month),
        max_rewards_per_month=program.referral.max_rewards_per_month,
    )
