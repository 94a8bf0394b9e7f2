"""Coupon codes are not guessable by trying: every refusal is the same answer, and a key that
collects too many in a minute is turned away for the rest of it."""

from __future__ import annotations

from datetime import datetime, timedelta

from ...domain.coupons import normalise_code
from ...domain.errors import CouponNotUsable, RateLimited
from ..deps import Deps


def _minute(now: datetime) -> str:
    return now.strftime("%Y%m%d%H%M")


def _limited(deps: Deps) -> RateLimited:
    limit = deps.settings.coupon_failures_per_minute
    return RateLimited(
        f"more than {limit} refused coupon codes from this key in a minute; wait a minute"
    )


def refuse(deps: Deps, principal: str, now: datetime) -> CouponNotUsable | RateLimited:
    """Count the refusal (atomically, never past the limit) and give the one answer for all of
    them; the refusal that finds the limit reached is already a 429."""
    expires = int((now + timedelta(hours=1)).timestamp())
    limit = deps.settings.coupon_failures_per_minute
    if not deps.refusals.add(principal, _minute(now), limit, expires):
        return _limited(deps)
    return CouponNotUsable("this coupon cannot be used on this order", param="code")


def admit(deps: Deps, raw_code: str, principal: str, now: datetime) -> str:
    """The code in its stored form, unless this key is rate limited or it cannot be a code."""
    if deps.refusals.count(principal, _minute(now)) >= deps.settings.coupon_failures_per_minute:
        raise _limited(deps)
    code = normalise_code(raw_code)
    if code is None:
        raise refuse(deps, principal, now)
    return code
