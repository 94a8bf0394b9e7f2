"""Nightly lifecycle jobs on the runner: birthday perks, and the member lifecycle — active,
dormant (沉睡) with a win-back coupon (唤醒) then and after each cooldown while still idle,
churned (流失).

Both read one local day's partitions of a sparse, sharded index (members with a birthday that
day; members whose lifecycle day it is), so the work follows the members concerned, not the
membership. Each gift is written with a once-only record (`birthday:<year>`, `winback:<day>`)
in the same transaction as the coupon and the member's change, so a re-run, a resumed page or a
second runner never gives twice, and a member's own purchase meanwhile wins (version guard)."""

import calendar
from collections.abc import Callable
from copy import copy
from datetime import date

from ..domain import membership
from ..domain.coupons import CouponTemplate
from ..domain.members import Member
from ..domain.program import Program
from ..services import lifecycle_gifts
from ..services.shared import issuance
from ..store import keys
from ..store.due import Page
from .runner import Job, Night


def _template(night: Night, member_id: str, template_id: str) -> CouponTemplate | None:
    """The template, read once per run; None (the reason counted and logged) if it cannot
    issue now."""
    key = f"template:{template_id}"
    if key not in night.cache:
        record = night.deps.coupons.template(template_id)
        if record is None:
            night.cache[key] = "the template no longer exists"
        else:
            reason = issuance.unissuable(night.deps, record.template, night.now)
            night.cache[key] = reason or record
    found = night.cache[key]
    if isinstance(found, str):
        night.skip(member_id, f"{template_id}: {found}", "template_unusable")
        return None
    return found.template  # type: ignore[attr-defined]


def _write(
    night: Night,
    member: Member,
    template_id: str | None,
    once_key: str,
    source: str,
    change: Callable[[Member], None] | None = None,
) -> None:
    template = _template(night, member.member_id, template_id) if template_id else None
    gift = lifecycle_gifts.Gift(member, template, once_key, source, change)
    given = lifecycle_gifts.give(night.deps, night.program, gift, night.now, night.dry_run)
    for reason, count in given.refused:
        night.skip(member.member_id, reason, count)
    if given.changed_meanwhile:
        night.counts["changed_meanwhile"] += 1
    if given.template_id is not None:
        _given(night, member, given.template_id)


def _given(night: Night, member: Member, template_id: str) -> None:
    night.counts["coupons_issued"] += 1
    night.event("coupon.issued")
    if len(night.changes) < 1000:
        night.changes.append({"member_id": member.member_id, "template_id": template_id})


# -- birthdays ---------------------------------------------------------------------------------


def _birthday_partitions(program: Program, day: date) -> list[str]:
    """Members born on the day; 29 February is celebrated on the 28th in other years."""
    month_days = [day.strftime("%m-%d")]
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        month_days.append("02-29")
    return [partition for md in month_days for partition in keys.shards("BDAY", md)]


def _birthdays(night: Night, partition: str, page: Page) -> None:
    program = night.program

    def give(member: Member) -> None:
        tier = program.tiers.tier(member.tier) if program.tiers else None
        template_id = (tier.benefits.birthday_gift if tier else None) or (
            program.lifecycle.birthday_coupon
        )
        night.counts["members"] += 1
        if template_id is None:
            night.skip(member.member_id, "the program names no coupon for it", "no_coupon")
            return
        _write(night, member, template_id, f"birthday:{night.day.year}", "birthday")

    members = night.deps.due.members(page.member_ids())
    night.each(members, lambda m: m.member_id, give)


BIRTHDAYS = Job(
    name="birthdays",
    when="on",
    partitions=_birthday_partitions,
    handle=_birthdays,
    changed="coupons_issued",
)


# -- the lifecycle -----------------------------------------------------------------------------


def _lifecycle(night: Night, partition: str, page: Page) -> None:
    day, program = night.day, night.program

    def look_at(member: Member) -> None:
        if member.dormant_on != day.isoformat():
            night.counts["moved_meanwhile"] += 1  # active again (the index lags the item)
            return
        night.counts["members"] += 1
        lapsed = copy(member)  # the member as the night leaves it; written by `change`
        found = membership.lapse(program.lifecycle, program.zone, lapsed, day)
        if found.turned_dormant:
            night.counts["turned_dormant"] += 1
            night.event("member.dormant")
        if found.churned:
            night.counts["churned"] += 1
            night.event("member.churned")
        template_id = program.lifecycle.winback_coupon if found.nudge else None

        def change(m: Member) -> None:  # m: this member, or the same version read again
            m.dormant_since, m.churned_since = lapsed.dormant_since, lapsed.churned_since
            m.dormant_on = lapsed.dormant_on

        _write(night, member, template_id, f"winback:{day.isoformat()}", "dormancy", change)

    members = night.deps.due.members(page.member_ids())
    night.each(members, lambda m: m.member_id, look_at)


DORMANCY = Job(
    name="dormancy",
    when="on",
    partitions=lambda program, day: keys.shards("DORMANT", day.isoformat()),
    handle=_lifecycle,
    changed="members",
)
