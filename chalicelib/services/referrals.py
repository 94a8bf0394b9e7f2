"""邀请: a member's code and the friends who enrolled with it, with what each brought."""

from __future__ import annotations

from typing import Literal

from ..contract.engagement import FriendOut, ReferralsOut
from ..domain.referrals import Referral
from .deps import Deps
from .shared.referrals import give_code
from .shared.writes import Answer, run_write


def _status(
    referral: Referral, now_after_vesting: bool
) -> Literal["waiting", "pending", "rewarded", "clawed_back"]:
    if referral.state == "rewarded" and not now_after_vesting:
        return "pending"
    return referral.state


def list_friends(deps: Deps, member_id: str) -> ReferralsOut:
    program = deps.programs.require()
    member = deps.members.member(member_id)
    if member.referral_code is None:  # enrolled before referrals: its code, once

        def attempt() -> Answer:
            fresh = deps.members.member(member_id)
            if fresh.referral_code is None:
                uow = deps.uow()
                give_code(deps, uow, fresh)
                deps.members.stage_member(uow, fresh, deps.clock(), program.zone)
                uow.commit()
            return Answer(fresh.referral_code or "")

        code = run_write(deps, None, attempt).body
    else:
        code = member.referral_code
    now = deps.clock()
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
        for friend in deps.referrals.friends(member_id)
    ]
    return ReferralsOut(
        referral_code=code,
        friends=friends,
        rewarded_this_month=deps.referrals.rewards_in(member_id, month),
        max_rewards_per_month=program.referral.max_rewards_per_month,
    )
