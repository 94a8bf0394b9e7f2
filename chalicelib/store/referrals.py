"""Referrals in the table: codes (`REFCODE#<code>`, one member's each), and in a referrer's
partition its friends (`REFERRED#<friend>`), the devices they enrolled with (`REFDEV#<fp>`) and
the rewards of each month (`REFCAP#<month>`)."""

from __future__ import annotations

import msgspec

from ..domain.guards import Guard, Rule
from ..domain.referrals import Friend, Referral
from . import keys
from .models import ReferralCodeItem, ReferralMarkItem, ReferredItem
from .unit_of_work import UnitOfWork, dynamodb, get_or_none

CODE_SK = "C"


class ReferralStore:
    def member_for_code(self, code: str) -> str | None:
        item = get_or_none(ReferralCodeItem, f"REFCODE#{code}", CODE_SK)
        return None if item is None else item.member_id

    def stage_code(self, uow: UnitOfWork, code: str, member_id: str) -> None:
        item = ReferralCodeItem(pk=f"REFCODE#{code}", sk=CODE_SK, member_id=member_id)
        uow.put(Guard(Rule.REFERRAL_CODE_IS_NEW), item, ReferralCodeItem.pk.does_not_exist())

    def stage_friend(
        self,
        uow: UnitOfWork,
        referrer_id: str,
        friend_id: str,
        referral: Referral,
        friend_version: int,
    ) -> None:
        """The friend's referral as of the friend's `friend_version`, unless a later one is
        kept already (the stream may hand an older change over again)."""
        item = ReferredItem(
            pk=keys.member_pk(referrer_id),
            sk=f"REFERRED#{friend_id}",
            friend_id=friend_id,
            referral=msgspec.json.encode(referral).decode(),
            friend_version=friend_version,
        )
        not_older = ReferredItem.pk.does_not_exist() | (
            ReferredItem.friend_version <= friend_version
        )
        uow.put(Guard(Rule.REFERRED, friend_id), item, not_older)

    def stage_device(self, uow: UnitOfWork, referrer_id: str, device: str, friend_id: str) -> None:
        """One friend per device: the mark names the first; another friend on it fails this
        condition (the same friend's mark again does not)."""
        item = ReferralMarkItem(
            pk=keys.member_pk(referrer_id), sk=f"REFDEV#{device}", friend_id=friend_id
        )
        ours = ReferralMarkItem.pk.does_not_exist() | (ReferralMarkItem.friend_id == friend_id)
        uow.put(Guard(Rule.REFERRAL_DEVICE_IS_NEW), item, ours)

    def device_taken(self, referrer_id: str, device: str) -> bool:
        """Whether a friend of the referrer enrolled on the device already."""
        found = get_or_none(ReferralMarkItem, keys.member_pk(referrer_id), f"REFDEV#{device}")
        return found is not None

    def stage_reward(self, uow: UnitOfWork, referrer_id: str, month: str, cap: int | None) -> None:
        """One more reward this month, only while it stays within `cap`."""
        item = ReferralMarkItem(pk=keys.member_pk(referrer_id), sk=f"REFCAP#{month}")
        condition = None
        if cap is not None:
            condition = ReferralMarkItem.rewards.does_not_exist() | (
                ReferralMarkItem.rewards <= cap - 1
            )
        actions = [ReferralMarkItem.rewards.add(1), ReferralMarkItem.type.set(ReferralMarkItem)]
        uow.update(Guard(Rule.REFERRAL_MONTHLY_LIMIT), item, list(actions), condition)

    def rewards_in(self, referrer_id: str, month: str) -> int:
        item = get_or_none(ReferralMarkItem, keys.member_pk(referrer_id), f"REFCAP#{month}")
        return 0 if item is None else int(item.rewards or 0)

    def friends(self, referrer_id: str) -> list[Friend]:
        """Newest first by enrolment."""
        with dynamodb():
            found = [
                Friend(item.friend_id, msgspec.json.decode(item.referral, type=Referral))
                for item in ReferredItem.query(
                    keys.member_pk(referrer_id), ReferredItem.sk.startswith("REFERRED#")
                )
            ]
        return sorted(found, key=lambda f: f.referral.enrolled_at, reverse=True)
