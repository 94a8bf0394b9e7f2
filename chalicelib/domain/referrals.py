"""邀请 (referrals), pure: referral codes, and the life of one referral — refused at enrolment,
waiting for the friend's first purchase, rewarded (pending until the return window ends), kept,
or taken back by a refund of that purchase within the window."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec
from msgspec import Struct

from .coupons import ALPHABET, symbols_from

CODE_LENGTH = 8  # 8 symbols of 30: 39 bits; among 10^7 members one guess in 65,000 finds a code

State = Literal["waiting", "rewarded", "clawed_back"]
Refusal = Literal[
    "referrals_off", "self_referral", "already_member", "same_device", "ring", "device_reused"
]


def code_from(random_bytes: bytes) -> str:
    return symbols_from(random_bytes, CODE_LENGTH)


def normalise_code(raw: str) -> str | None:
    """A code as a person types it (any case, spaces, dashes) in its stored form."""
    cleaned = "".join(ch for ch in raw.upper() if ch not in "- ")
    if len(cleaned) == CODE_LENGTH and all(ch in ALPHABET for ch in cleaned):
        return cleaned
    return None


class Referral(Struct):
    """The friend's side, kept on the friend (and copied to the referrer's list)."""

    referrer_id: str
    enrolled_at: datetime
    state: State = "waiting"
    order_id: str | None = None
    vests_at: datetime | None = None  # when the rewards stop being taken back by a refund
    friend_points: int = 0
    referrer_points: int = 0
    friend_lot: str | None = None
    referrer_lot: str | None = None
    referrer_capped: bool = False  # the referrer's monthly limit held its reward back
    rewarded_at: datetime | None = None  # the first purchase's moment (the referrer's reward's)


def qualifies(referral: Referral | None, amount: int, min_order_amount: int) -> bool:
    """The friend's first purchase rewards the referral (once: a rewarded one waits no more)."""
    return referral is not None and referral.state == "waiting" and amount >= min_order_amount


def taken_back_by(
    referral: Referral | None,
    order_id: str,
    refunded_after: int,
    order_amount: int,
    min_order_amount: int,
    now: datetime,
) -> bool:
    """A refund of the rewarding order, within its return window, that leaves less than the
    minimum order: the rewards were for a purchase that did not stay."""
    return (
        referral is not None
        and referral.state == "rewarded"
        and referral.order_id == order_id
        and referral.vests_at is not None
        and now < referral.vests_at
        and order_amount - refunded_after < min_order_amount
    )


class Friend(msgspec.Struct, frozen=True):
    friend_id: str
    referral: Referral
