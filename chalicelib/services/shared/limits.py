"""The day's usage of the limits, read only when one of them is on (the rules: `domain.limits`)."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from ...domain.limits import Usage, any_on
from ...domain.program import Limits
from ...store.usage import UsageStore


class Needs(Protocol):
    usage: UsageStore


def usage_today(d: Needs, limits: Limits, member_id: str, today: date, *names: str) -> Usage:
    """The member's use today, read only when one of the limits `names` is on."""
    return d.usage.of_day(member_id, today) if any_on(limits, *names) else Usage()
