"""邀请, the referrer's side: what a friend's referral changes for the referrer, done by the
stream consumer as the friend's member item changes, in the referrer's own transactions.

- The friend enrolled with the code (waiting): the friend listed in the referrer's partition,
  and its device marked (one friend per device: a friend who raced another onto the same device
  loses its referral).
- The friend's first purchase (rewarded): the referrer's points (pending as the friend's are)
  and coupon, within the referrer's monthly limit (past it the friend's entry says
  `referrer_capped`).
- That purchase refunded within its window (clawed back): the referrer's points taken back.

Each is once per friend (a once-only record in the referrer's partition, in the same
transaction), so a change the stream hands over again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Protocol

from msgspec import Struct

from ..domain.errors import MemberNotFound
from ..domain.expiry import lot_terms
from ..domain.guards import Rule, WriteRejected
from ..domain.membership import referral_lot
from ..domain.program import Program
from ..domain.referrals import Referral
from ..store.members import MemberStore
from ..store.once import OnceStore
from ..store.program import ProgramCache
from ..store.referrals import ReferralStore
from .shared import issuance, writes
from .shared.writes import Answer, run_write

REWARD, TAKEN_BACK = "referral_reward", "referral_back"


class Needs(writes.Needs, issuance.Needs, Protocol):
    members: MemberStore
    once: OnceStore
    programs: ProgramCache
    referrals: ReferralStore

    @property
    def new_id(self) -> Callable[[datetime], str]: ...


class FriendChange(Struct, frozen=True):
    """A friend's referral before and after one change of the friend (from the stream)."""

    friend_id: str
    friend_version: int
    device: str | None
    before: Referral | None
    after: Referral | None
    at: datetime


def follow(d: Needs, change: FriendChange) -> None:
    """The referrer's side of one change of a friend's referral."""
    program = d.programs.current()
    after = change.after
    if program is None or after is None:
        return
    before_state = change.before.state if change.before else None
    if before_state is None:
        _list(d, program, change, after)
    elif before_state == "waiting" and after.state == "rewarded":
        _reward(d, program, change, after)
    elif before_state == "rewarded" and after.state == "clawed_back":
        _take_back(d, program, change, after)
    else:
        _copy(d, change, after)


def _copy(d: Needs, change: FriendChange, referral: Referral) -> None:
    """The friend's entry in the referrer's list, as the friend's referral now stands."""
    referrer_id = d.members.survivor(referral.referrer_id)
    uow = d.uow()
    d.referrals.stage_friend(uow, referrer_id, change.friend_id, referral, change.friend_version)
    with suppress(WriteRejected):  # a later change of the friend is kept already
        uow.commit()


def _list(d: Needs, program: Program, change: FriendChange, referral: Referral) -> None:
    referrer_id = d.members.survivor(referral.referrer_id)
    uow = d.uow()
    d.referrals.stage_friend(uow, referrer_id, change.friend_id, referral, change.friend_version)
    if change.device is not None:
        d.referrals.stage_device(uow, referrer_id, change.device, change.friend_id)
    try:
        uow.commit()
    except WriteRejected as rejected:
        if rejected.broke(Rule.REFERRAL_DEVICE_IS_NEW):
            _drop(d, program, change.friend_id)  # another friend took the device first
        # else: a later change of the friend is listed already


def _drop(d: Needs, program: Program, friend_id: str) -> None:
    """A friend who enrolled on a device another friend of the referrer had just enrolled on:
    no referral (as if refused `device_reused` at enrolment)."""

    def attempt() -> Answer:
        friend = d.members.get_member(friend_id)
        if friend is None or friend.referral is None or friend.referral.state != "waiting":
            return Answer("")
        friend.referral = None
        uow = d.uow()
        d.members.stage_member(uow, friend, d.clock(), program.zone)
        uow.commit()
        return Answer("")

    run_write(d, None, attempt)


def _reward(d: Needs, program: Program, change: FriendChange, referral: Referral) -> None:
    rules = program.referral
    referrer_id = d.members.survivor(referral.referrer_id)
    at = referral.rewarded_at or change.at
    month = at.astimezone(program.zone).isoformat()[:7]
    capped = [False]

    def attempt() -> Answer:
        if d.once.get(referrer_id, REWARD, change.friend_id) is not None:
            return Answer("")  # rewarded already (the stream handed the change over again)
        now = d.clock()
        uow = d.uow()
        d.once.stage(uow, referrer_id, REWARD, change.friend_id, "", "")
        entry = _as_rewarded(referral, capped[0])
        if not capped[0]:
            d.referrals.stage_reward(uow, referrer_id, month, rules.max_rewards_per_month)
            if referral.referrer_points and referral.referrer_lot:
                try:
                    referrer, account = d.members.load_account(referrer_id, now)
                except MemberNotFound:
                    return Answer("")
                expires = lot_terms(at, program, now).expires_at
                account.earn(
                    referral_lot(
                        referral.referrer_lot,
                        referral.referrer_points,
                        at,
                        expires,
                        referral.vests_at,
                        f"referral:{change.friend_id}",
                    ),
                    reason=f"referral: a friend ({change.friend_id}) made a first purchase",
                    kind="referral",
                )
                d.members.stage_account(
                    uow, referrer, account, zone=program.zone, now=now, new_id=_ids(d, now)
                )
            issuance.stage_rule_coupon(
                d, uow, referrer_id, rules.referrer_coupon, now, "referral", {}
            )
        d.referrals.stage_friend(uow, referrer_id, change.friend_id, entry, change.friend_version)
        try:
            uow.commit()
        except WriteRejected as rejected:
            if rejected.broke(Rule.REFERRAL_MONTHLY_LIMIT):
                capped[0] = True  # the friend keeps its reward; the referrer's waits no more
            raise
        return Answer("")

    run_write(d, None, attempt)


def _as_rewarded(referral: Referral, capped: bool) -> Referral:
    entry = Referral(**{f: getattr(referral, f) for f in Referral.__struct_fields__})
    if capped:
        entry.referrer_capped = True
        entry.referrer_points = 0
    return entry


def _take_back(d: Needs, program: Program, change: FriendChange, referral: Referral) -> None:
    referrer_id = d.members.survivor(referral.referrer_id)

    def attempt() -> Answer:
        if d.once.get(referrer_id, TAKEN_BACK, change.friend_id) is not None:
            return Answer("")
        rewarded = d.once.get(referrer_id, REWARD, change.friend_id) is not None
        listed = {f.friend_id: f.referral for f in d.referrals.friends(referrer_id)}
        capped = listed.get(change.friend_id, referral).referrer_capped
        now = d.clock()
        uow = d.uow()
        d.once.stage(uow, referrer_id, TAKEN_BACK, change.friend_id, "", "")
        entry = _as_rewarded(referral, capped)
        if rewarded and not capped and referral.referrer_points:
            referrer, account = d.members.load_account(referrer_id, now, spend=True)
            account.claw_back(
                referral.referrer_points,
                f"referral:{change.friend_id}",
                referral.referrer_lot,
                reason=f"referral reward taken back: first purchase {referral.order_id} refunded",
            )
            d.members.stage_account(
                uow, referrer, account, zone=program.zone, now=now, new_id=_ids(d, now)
            )
        d.referrals.stage_friend(uow, referrer_id, change.friend_id, entry, change.friend_version)
        uow.commit()
        return Answer("")

    run_write(d, None, attempt)


def _ids(d: Needs, now: datetime):  # type: ignore[no-untyped-def]
    return lambda: d.new_id(now)
