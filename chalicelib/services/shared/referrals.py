"""Referrals as an enrolment meets them: a new member's code, the referrer a code names, and why
the referral may not count (reads of the referrer's side only). The friend's reward and its
taking back are the member's own changes (`domain.membership`); the referrer's side follows from
the stream (`services.referral_rewards`): no friend's write touches the referrer's items, so an
influencer's thousand friends never queue on one partition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ...domain.errors import ValidationFailed
from ...domain.members import Member
from ...domain.program import Program
from ...domain.referrals import Refusal, code_from, normalise_code
from ...store.members import MemberStore
from ...store.referrals import ReferralStore
from ...store.unit_of_work import UnitOfWork


class Needs(Protocol):
    members: MemberStore
    referrals: ReferralStore

    @property
    def random_bytes(self) -> Callable[[int], bytes]: ...


RING_DEPTH = 5  # how far up a referrer's own referrers a device is looked for


def give_code(d: Needs, uow: UnitOfWork, member: Member) -> None:
    """A member's own code, unique (a clash fails the write, and the retry draws another)."""
    member.referral_code = code_from(d.random_bytes(5))
    d.referrals.stage_code(uow, member.referral_code, member.member_id)


def referrer_of(d: Needs, raw_code: str) -> str:
    """The member a code belongs to, or a 422 naming `referred_by`."""
    code = normalise_code(raw_code)
    referrer = d.referrals.member_for_code(code) if code else None
    if referrer is None:
        raise ValidationFailed("no member has that referral code", param="referred_by")
    return d.members.survivor(referrer)  # a code of a member merged away is the survivor's


def refusal(d: Needs, program: Program, referrer_id: str, device: str | None) -> Refusal | None:
    """Why this enrolment may not count as the referrer's referral, if it may not (reads only:
    the referrer's partition is written by the stream consumer, never by a friend's write)."""
    if not program.referral.enabled:
        return "referrals_off"
    if device is None:
        return None
    member_id: str | None = referrer_id
    for depth in range(RING_DEPTH):
        if member_id is None:
            break
        ancestor = d.members.get_member(member_id, merged_ok=True)
        if ancestor is None:
            break
        if ancestor.device == device:
            return "same_device" if depth == 0 else "ring"
        member_id = ancestor.referral.referrer_id if ancestor.referral else None
    if d.referrals.device_taken(referrer_id, device):
        return "device_reused"
    return None
