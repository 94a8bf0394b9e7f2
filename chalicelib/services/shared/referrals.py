"""Referrals as the friend's own use cases meet them, inside the friend's transaction: a new
member's code and the referral it enrols with (enrol), the friend's reward of its first purchase
(purchase), and taking it back when that purchase is refunded within its window (refund). The
referrer's side follows from the stream (`services.referral_rewards`): no friend's write touches
the referrer's items, so an influencer's thousand friends never queue on one partition."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from ...domain.coupons import Coupon
from ...domain.errors import ValidationFailed
from ...domain.expiry import lot_terms
from ...domain.members import Member
from ...domain.points import Lot, PointsAccount
from ...domain.program import Program
from ...domain.referrals import (
    Referral,
    Refusal,
    code_from,
    normalise_code,
    qualifies,
    taken_back_by,
)
from ...store.unit_of_work import UnitOfWork
from ..deps import Deps
from . import issuance

RING_DEPTH = 5  # how far up a referrer's own referrers a device is looked for


def give_code(deps: Deps, uow: UnitOfWork, member: Member) -> None:
    """A member's own code, unique (a clash fails the write, and the retry draws another)."""
    member.referral_code = code_from(secrets.token_bytes(5))
    deps.referrals.stage_code(uow, member.referral_code, member.member_id)


def referrer_of(deps: Deps, raw_code: str) -> str:
    """The member a code belongs to, or a 422 naming `referred_by`."""
    code = normalise_code(raw_code)
    referrer = deps.referrals.member_for_code(code) if code else None
    if referrer is None:
        raise ValidationFailed("no member has that referral code", param="referred_by")
    return deps.members.survivor(referrer)  # a code of a member merged away is the survivor's


def refusal(deps: Deps, program: Program, referrer_id: str, device: str | None) -> Refusal | None:
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
        ancestor = deps.members.get_member(member_id, merged_ok=True)
        if ancestor is None:
            break
        if ancestor.device == device:
            return "same_device" if depth == 0 else "ring"
        member_id = ancestor.referral.referrer_id if ancestor.referral else None
    if deps.referrals.device_taken(referrer_id, device):
        return "device_reused"
    return None


def refer(member: Member, referrer_id: str, now: datetime) -> None:
    """The new member as the referrer's friend, waiting for its first purchase: kept on the
    friend; the stream consumer lists it in the referrer's partition."""
    member.referral = Referral(referrer_id=referrer_id, enrolled_at=now)


def stage_first_purchase(
    deps: Deps,
    uow: UnitOfWork,
    program: Program,
    member: Member,
    account: PointsAccount,
    order_id: str,
    amount: int,
    now: datetime,
    skip_coupons: dict[str, str],
) -> tuple[int, list[Coupon]]:
    """The friend's first purchase rewards both (the points pending until the return window
    ends): the friend here, in its own transaction; the referrer by the stream consumer, in
    the referrer's own (`services.referral_rewards`), as the friend's referral turns rewarded.
    Returns the friend's points and coupons."""
    rules = program.referral
    referral = member.referral
    if (
        not rules.enabled
        or referral is None
        or not qualifies(referral, amount, rules.min_order_amount)
    ):
        return 0, []
    window = program.return_window_days
    vests = now + timedelta(days=window) if window else None
    expires = lot_terms(now, program, now).expires_at
    referral.state = "rewarded"
    referral.order_id = order_id
    referral.vests_at = vests
    referral.rewarded_at = now
    if rules.friend_points:
        referral.friend_lot = deps.new_id(now)
        referral.friend_points = rules.friend_points
        account.earn(
            referral_lot(referral.friend_lot, rules.friend_points, now, expires, vests, order_id),
            reason=f"referral: first purchase {order_id} (invited by a member)",
            kind="referral",
        )
    issued: list[Coupon] = []
    coupon = issuance.stage_rule_coupon(
        deps, uow, member.member_id, rules.friend_coupon, now, "referral", skip_coupons
    )
    if coupon:
        issued.append(coupon)
    if rules.referrer_points:  # the referrer's, once the consumer gives it (or the cap stops it)
        referral.referrer_lot = deps.new_id(now)
        referral.referrer_points = rules.referrer_points
    return referral.friend_points, issued


def stage_refund(
    deps: Deps,
    program: Program,
    member: Member,
    account: PointsAccount,
    order_id: str,
    order_amount: int,
    refunded_after: int,
    now: datetime,
) -> int:
    """The rewarding purchase refunded within its window: the friend's reward taken back here,
    the referrer's by the stream consumer as the referral turns clawed back. Returns the
    friend's points taken back."""
    referral = member.referral
    if referral is None or not taken_back_by(
        referral, order_id, refunded_after, order_amount, program.referral.min_order_amount, now
    ):
        return 0
    reason = f"referral reward taken back: first purchase {order_id} refunded"
    if referral.friend_points:
        account.claw_back(referral.friend_points, order_id, referral.friend_lot, reason=reason)
    referral.state = "clawed_back"
    return referral.friend_points


def referral_lot(
    lot_id: str,
    points: int,
    now: datetime,
    expires: datetime | None,
    vests: datetime | None,
    order_id: str,
) -> Lot:
    return Lot(lot_id, points, points, now, expires, vests, False, order_id)
