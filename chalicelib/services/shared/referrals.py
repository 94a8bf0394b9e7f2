"""Referrals as the members' use cases meet them, inside their own transaction: a new member's
code and the referral it enrols with (enrol), the rewards of the friend's first purchase
(purchase), and taking them back when that purchase is refunded within its window (refund)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from ...domain.coupons import Coupon
from ...domain.errors import ValidationFailed
from ...domain.expiry import lot_terms
from ...domain.guards import Rule, WriteRejected
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
    """Why this enrolment may not count as the referrer's referral, if it may not."""
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
    return None


def stage_referred(
    deps: Deps, uow: UnitOfWork, member: Member, referrer_id: str, now: datetime
) -> None:
    """The new member as the referrer's friend, waiting for its first purchase."""
    member.referral = Referral(referrer_id=referrer_id, enrolled_at=now)
    deps.referrals.stage_friend(uow, referrer_id, member.member_id, member.referral)
    if member.device is not None:
        deps.referrals.stage_device(uow, referrer_id, member.device)


def refused_by(rejected: WriteRejected) -> Refusal | None:
    if rejected.broke(Rule.REFERRAL_DEVICE_IS_NEW):
        return "device_reused"
    return None


def stage_first_purchase(
    deps: Deps,
    uow: UnitOfWork,
    program: Program,
    member: Member,
    account: PointsAccount,
    order_id: str,
    amount: int,
    now: datetime,
    capped: set[str],
    skip_coupons: dict[str, str],
) -> tuple[int, list[Coupon]]:
    """The friend's first purchase rewards both (the points pending until the return window
    ends). `capped` holds referrers whose monthly limit refused an earlier attempt. Returns the
    friend's points and coupons."""
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
    if rules.friend_points:
        referral.friend_lot = deps.new_id(now)
        referral.friend_points = rules.friend_points
        account.earn(
            _lot(referral.friend_lot, rules.friend_points, now, expires, vests, order_id),
            reason=f"referral: first purchase {order_id} (invited by a member)",
            kind="referral",
        )
    issued: list[Coupon] = []
    coupon = issuance.stage_rule_coupon(
        deps, uow, member.member_id, rules.friend_coupon, now, "referral", skip_coupons
    )
    if coupon:
        issued.append(coupon)
    referral.referrer_id = referrer_id = deps.members.survivor(referral.referrer_id)
    if referrer_id in capped:
        referral.referrer_capped = True
    elif rules.referrer_points or rules.referrer_coupon:
        month = now.astimezone(program.zone).isoformat()[:7]
        deps.referrals.stage_reward(uow, referrer_id, month, rules.max_rewards_per_month)
        if rules.referrer_points:
            referral.referrer_lot = deps.new_id(now)
            referral.referrer_points = rules.referrer_points
            lot = _lot(
                referral.referrer_lot,
                rules.referrer_points,
                now,
                expires,
                vests,
                f"referral:{member.member_id}",
            )
            _stage_referrer(
                deps,
                uow,
                program,
                referrer_id,
                now,
                lambda their: their.earn(
                    lot,
                    reason=f"referral: a friend ({member.member_id}) made a first purchase",
                    kind="referral",
                ),
            )
        issuance.stage_rule_coupon(
            deps, uow, referrer_id, rules.referrer_coupon, now, "referral", skip_coupons
        )
    deps.referrals.stage_friend(uow, referrer_id, member.member_id, referral)
    return referral.friend_points, issued


def stage_refund(
    deps: Deps,
    uow: UnitOfWork,
    program: Program,
    member: Member,
    account: PointsAccount,
    order_id: str,
    order_amount: int,
    refunded_after: int,
    now: datetime,
) -> int:
    """The rewarding purchase refunded within its window: both rewards taken back. Returns the
    friend's points taken back."""
    referral = member.referral
    if referral is None or not taken_back_by(
        referral, order_id, refunded_after, order_amount, program.referral.min_order_amount, now
    ):
        return 0
    reason = f"referral reward taken back: first purchase {order_id} refunded"
    referral.referrer_id = deps.members.survivor(referral.referrer_id)  # merged meanwhile?
    if referral.friend_points:
        account.claw_back(referral.friend_points, order_id, referral.friend_lot, reason=reason)
    if referral.referrer_points:
        _stage_referrer(
            deps,
            uow,
            program,
            referral.referrer_id,
            now,
            lambda their: their.claw_back(
                referral.referrer_points,
                f"referral:{member.member_id}",
                referral.referrer_lot,
                reason=reason,
            ),
            spend=True,
        )
    referral.state = "clawed_back"
    deps.referrals.stage_friend(uow, referral.referrer_id, member.member_id, referral)
    return referral.friend_points


def _lot(
    lot_id: str,
    points: int,
    now: datetime,
    expires: datetime | None,
    vests: datetime | None,
    order_id: str,
) -> Lot:
    return Lot(lot_id, points, points, now, expires, vests, False, order_id)


def _stage_referrer(
    deps: Deps,
    uow: UnitOfWork,
    program: Program,
    referrer_id: str,
    now: datetime,
    change: Callable[[PointsAccount], None],
    *,
    spend: bool = False,
) -> None:
    """Change the referrer's points in the friend's transaction (guarded by its version)."""
    referrer, account = deps.members.load_account(referrer_id, now, spend=spend)
    change(account)
    deps.members.stage_account(
        uow, referrer, account, zone=program.zone, now=now, new_id=lambda: deps.new_id(now)
    )
