"""Nightly lifecycle jobs on the runner: birthday perks, and the member lifecycle — active,
dormant (沉睡) with a win-back coupon (唤醒) then and after each cooldown while still idle,
churned (流失).

Both read one local day's partitions of a sparse, sharded index (members with a birthday that
day; members whose lifecycle day it is), so the work follows the members concerned, not the
membership. Each gift is written with a once-only record (`birthday:<year>`, `winback:<day>`)
in the same transaction as the coupon and the member's change, so a re-run, a resumed page or a
second runner never gives twice, and a member's own purchase meanwhile wins (version guard)."""

import calendar
import logging
from collections.abc import Callable
from datetime import date, timedelta

from ..domain.coupons import CouponTemplate
from ..domain.errors import CouponOutOfStock
from ..domain.guards import Rule, WriteRejected
from ..domain.members import Member
from ..domain.program import Program
from ..services.shared import issuance
from ..store import keys
from ..store.due import Page
from .runner import Job, Night

log = logging.getLogger("loyalty.jobs")


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
    """The member's `change` and a coupon with its once-only record, in one transaction; a
    coupon refused by stock or limit goes, and the change is written without it."""
    deps, kind, key = night.deps, *once_key.split(":", 1)
    template = _template(night, member.member_id, template_id) if template_id else None
    if night.dry_run:
        if template is not None and deps.once.get(member.member_id, kind, key) is None:
            _given(night, member, template.template_id)
        return
    read_as = member.version
    for attempt in range(2):
        uow = deps.uow()
        if template is not None:
            try:
                issuance.stage_issue(deps, uow, member.member_id, template, night.now, source)
                deps.once.stage(uow, member.member_id, kind, key, "", "")
            except CouponOutOfStock:  # its last units taken tonight
                reason = f"{template_id}: {issuance.OUT_OF_STOCK}"
                night.skip(member.member_id, reason, "template_unusable")
                template = None
        if change is not None:
            change(member)
            deps.members.stage_member(uow, member, night.now, night.program.zone)
        if not len(uow):
            return
        try:
            uow.commit()
        except WriteRejected as rejected:
            if rejected.broke(Rule.MEMBER_VERSION) or rejected.broke(Rule.ONCE_IS_NEW):
                night.counts["changed_meanwhile"] += 1  # its own write, or another runner's
                return
            # out of stock, or the member holds as many as the template allows
            night.skip(member.member_id, f"{template_id} refused: {rejected}", "coupon_refused")
            if change is None or attempt:
                return
            fresh = deps.members.get_member(member.member_id)
            if fresh is None or fresh.version != read_as:  # it changed: its own write decides
                night.counts["changed_meanwhile"] += 1
                return
            member, template = fresh, None
            continue
        if template is not None:
            _given(night, member, template.template_id)
        return


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
    day, lifecycle = night.day, night.program.lifecycle
    zone = night.program.zone

    def look_at(member: Member) -> None:
        if member.dormant_on != day.isoformat():
            night.counts["moved_meanwhile"] += 1  # active again (the index lags the item)
            return
        night.counts["members"] += 1
        since = date.fromisoformat(member.dormant_since) if member.dormant_since else day
        active = (member.last_active_at or member.created_at).astimezone(zone).date()
        churn_after = lifecycle.churned_after_days
        churn_day = active + timedelta(days=churn_after) if churn_after else None
        cooldown = lifecycle.winback_cooldown_days
        nudge_today = (day - since).days % cooldown == 0
        next_nudge = day + timedelta(days=cooldown - (day - since).days % cooldown)
        churns = churn_day is not None and member.churned_since is None and day >= churn_day
        upcoming = [next_nudge]
        if churn_day is not None and member.churned_since is None and not churns:
            upcoming.append(churn_day)

        def change(m: Member) -> None:
            if m.dormant_since is None:
                m.dormant_since = day.isoformat()  # the stream says member.dormant
            if churns:
                m.churned_since = day.isoformat()  # the stream says member.churned
            m.dormant_on = min(upcoming).isoformat()

        if member.dormant_since is None:
            night.counts["turned_dormant"] += 1
            night.event("member.dormant")
        if churns:
            night.counts["churned"] += 1
            night.event("member.churned")
        template_id = lifecycle.winback_coupon if nudge_today else None
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
