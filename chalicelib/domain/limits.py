"""The daily limits (风控) a member's writes keep: how many points a member may still earn
today, what each earning or limited write ADDs to the day (under the limit's condition), and
the refusal once a limit is used up. Pure: the day's usage is read by the use case."""

from __future__ import annotations

from msgspec import Struct

from .errors import LimitReached
from .program import Limits

EARNED = "max_points_per_member_per_day"
CHECKIN = "max_checkin_points_per_day"
REDEMPTIONS = "max_redemptions_per_member_per_day"
COUPONS = "max_coupons_per_member_per_day"
COUNTS = {EARNED: "earned", CHECKIN: "checkin", REDEMPTIONS: "redemptions", COUPONS: "coupons"}


class Usage(Struct):
    """A member's use of the limits on one brand-local day."""

    earned: int = 0
    checkin: int = 0
    redemptions: int = 0
    coupons: int = 0


def any_on(limits: Limits, *names: str) -> bool:
    return any(getattr(limits, name) is not None for name in names)


def cap_points(wanted: int, used: Usage, limits: Limits, *names: str) -> tuple[int, str | None]:
    """`wanted` points within the points limits `names`; and the limit that held some back."""
    granted, capped_by = wanted, None
    for name in names:
        limit = getattr(limits, name)
        if limit is None:
            continue
        left = max(limit - getattr(used, COUNTS[name]), 0)
        if left < granted:
            granted, capped_by = left, name
    return granted, capped_by


def points_used(
    limits: Limits, points: int, *, checkin: bool = False
) -> dict[str, tuple[int, int | None]]:
    """What an earning write ADDs to the day, for the limits that are on."""
    used: dict[str, tuple[int, int | None]] = {}
    for name in (EARNED, CHECKIN) if checkin else (EARNED,):
        if (limit := getattr(limits, name)) is not None:
            used[COUNTS[name]] = (points, limit)
    return used


def refuse_when_reached(limits: Limits, name: str, used: Usage) -> None:
    """409 `limit_reached` naming the limit, once the member used it up today."""
    limit = getattr(limits, name)
    if limit is not None and getattr(used, COUNTS[name]) >= limit:
        raise LimitReached(
            f"at most {limit} {COUNTS[name]} a member a day (limits.{name}); this member "
            "reached it today (brand-local)",
            param=f"limits.{name}",
        )


def counted(limits: Limits, name: str) -> dict[str, tuple[int, int | None]]:
    """What a limited write (one redemption, one coupon) ADDs to the day (nothing while the
    limit is off)."""
    limit = getattr(limits, name)
    return {} if limit is None else {COUNTS[name]: (1, limit)}
