"""The daily limits (风控) as the earning use cases apply them: how many points a member may
still earn today, and the usage their write ADDs (under the limit's condition)."""

from __future__ import annotations

from datetime import date

from ...domain.errors import LimitReached
from ...domain.program import Limits
from ...store.usage import Usage
from ..deps import Deps

EARNED = "max_points_per_member_per_day"
CHECKIN = "max_checkin_points_per_day"
REDEMPTIONS = "max_redemptions_per_member_per_day"
COUPONS = "max_coupons_per_member_per_day"


def usage_today(deps: Deps, limits: Limits, member_id: str, today: date, *names: str) -> Usage:
    """The member's use today, read only when one of the limits `names` is on."""
    if any(getattr(limits, name) is not None for name in names):
        return deps.usage.of_day(member_id, today)
    return Usage()


def cap_points(wanted: int, used: Usage, limits: Limits, *names: str) -> tuple[int, str | None]:
    """`wanted` points within the points limits `names`; and the limit that held some back."""
    granted, capped_by = wanted, None
    for name in names:
        limit = getattr(limits, name)
        if limit is None:
            continue
        left = max(limit - (used.checkin if name == CHECKIN else used.earned), 0)
        if left < granted:
            granted, capped_by = left, name
    return granted, capped_by


def points_used(
    limits: Limits, points: int, *, checkin: bool = False
) -> dict[str, tuple[int, int | None]]:
    """What an earning write ADDs to the day, for the limits that are on."""
    used: dict[str, tuple[int, int | None]] = {}
    if limits.max_points_per_member_per_day is not None:
        used["earned"] = (points, limits.max_points_per_member_per_day)
    if checkin and limits.max_checkin_points_per_day is not None:
        used["checkin"] = (points, limits.max_checkin_points_per_day)
    return used


def refuse_when_reached(limits: Limits, name: str, used_today: int, what: str) -> None:
    """409 `limit_reached` naming the limit, once the member used it up today."""
    limit = getattr(limits, name)
    if limit is not None and used_today >= limit:
        raise LimitReached(
            f"at most {limit} {what} a member a day (limits.{name}); this member reached it "
            "today (brand-local)",
            param=f"limits.{name}",
        )


def counted(limits: Limits, name: str, field: str, n: int = 1) -> dict[str, tuple[int, int | None]]:
    """What a limited write ADDs to the day (nothing while the limit is off)."""
    limit = getattr(limits, name)
    return {} if limit is None else {field: (n, limit)}
