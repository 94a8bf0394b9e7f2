"""What cannot be found out by trying: coupon codes, and which phones or emails are members.
Every refused coupon code is the same answer, and a key that collects too many refused codes,
or too many look-ups that find no member, in a minute is turned away (429) for the rest of it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from ...domain.coupons import normalise_code
from ...domain.errors import CouponNotUsable, RateLimited
from ...settings import Settings
from ...store.refusals import RefusalCounter


class Needs(Protocol):
    settings: Settings
    refusals: RefusalCounter


COUPON_CODES = "coupon"  # refused coupon codes (settings.coupon_failures_per_minute)
LOOKUPS = "lookup"  # look-ups that found no member (program.limits.lookup_misses_per_minute)


def _minute(now: datetime) -> str:
    return now.strftime("%Y%m%d%H%M")


def _counter(kind: str, principal: str) -> str:
    # coupon refusals keep the key they always had (a deploy mid-minute loses no count)
    return principal if kind == COUPON_CODES else f"{kind}:{principal}"


def _limited(kind: str, limit: int, now: datetime) -> RateLimited:
    what = "refused coupon codes" if kind == COUPON_CODES else "look-ups that found no member"
    wait = 60 - now.second
    return RateLimited(
        f"more than {limit} {what} from this API key in a minute; try again in {wait} s",
        retry_after=wait,
    )


def count_miss(d: Needs, kind: str, principal: str, now: datetime, limit: int) -> None:
    """Count one miss (atomically, never past `limit`); the miss that finds the limit reached
    is already a 429."""
    expires = int((now + timedelta(hours=1)).timestamp())
    if not d.refusals.add(_counter(kind, principal), _minute(now), limit, expires):
        raise _limited(kind, limit, now)


def check_under(d: Needs, kind: str, principal: str, now: datetime, limit: int) -> None:
    """Refuse (429) a key that reached `limit` misses this minute, before it tries again."""
    if d.refusals.count(_counter(kind, principal), _minute(now)) >= limit:
        raise _limited(kind, limit, now)


def refuse(d: Needs, principal: str, now: datetime) -> CouponNotUsable | RateLimited:
    """Count a refused coupon code and give the one answer for all of them."""
    try:
        count_miss(d, COUPON_CODES, principal, now, d.settings.coupon_failures_per_minute)
    except RateLimited as limited:
        return limited
    return CouponNotUsable("this coupon cannot be used on this order", param="code")


def admit(d: Needs, raw_code: str, principal: str, now: datetime) -> str:
    """The code in its stored form, unless this key is rate limited or it cannot be a code."""
    check_under(d, COUPON_CODES, principal, now, d.settings.coupon_failures_per_minute)
    code = normalise_code(raw_code)
    if code is None:
        raise refuse(d, principal, now)
    return code
