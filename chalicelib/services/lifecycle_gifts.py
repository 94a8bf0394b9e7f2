"""Use case (nightly): a member's lifecycle gift (a birthday coupon, a win-back coupon) and its
change (dormant, churned, the next lifecycle day), with a once-only record (`birthday:<year>`,
`winback:<day>`) in the same transaction, so a re-run, a resumed page or a second runner never
gives twice, and a member's own write meanwhile wins (the member's version guards it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from msgspec import Struct, field

from ..domain.coupons import OUT_OF_STOCK, CouponTemplate
from ..domain.errors import CouponOutOfStock
from ..domain.guards import Rule, WriteRejected
from ..domain.members import Member
from ..domain.program import Program
from ..store.members import MemberStore
from ..store.once import OnceStore
from ..store.unit_of_work import UnitOfWork
from .shared import issuance


class Needs(issuance.Needs, Protocol):
    members: MemberStore
    once: OnceStore

    def uow(self) -> UnitOfWork: ...


class Gift(Struct, frozen=True):
    member: Member
    template: CouponTemplate | None  # None: only the change
    once_key: str  # `<kind>:<key>`
    source: str  # the coupon's source: birthday, dormancy
    change: Callable[[Member], None] | None = None


class Given(Struct):
    """What came of it: the template given (None: none), why a coupon was not, and whether the
    member changed meanwhile (its own write, or another runner's, decides)."""

    template_id: str | None = None
    # (reason, what it counts as): template_unusable (out of stock), coupon_refused
    refused: list[tuple[str, str]] = field(default_factory=list)
    changed_meanwhile: bool = False


def give(d: Needs, program: Program, gift: Gift, now: datetime, dry_run: bool) -> Given:
    """The gift in one transaction; a coupon refused by stock or limit goes, and the change is
    written without it."""
    member, template, given = gift.member, gift.template, Given()
    kind, key = gift.once_key.split(":", 1)
    if dry_run:
        if template is not None and d.once.get(member.member_id, kind, key) is None:
            given.template_id = template.template_id
        return given
    read_as = member.version
    for attempt in range(2):
        uow = d.uow()
        if template is not None:
            try:
                issuance.stage_issue(d, uow, member.member_id, template, now, gift.source)
                d.once.stage(uow, member.member_id, kind, key, "", "")
            except CouponOutOfStock:  # its last units taken tonight
                reason = f"{template.template_id}: {OUT_OF_STOCK}"
                given.refused.append((reason, "template_unusable"))
                template = None
        if gift.change is not None:
            gift.change(member)
            d.members.stage_member(uow, member, now, program.zone)
        if not len(uow):
            return given
        try:
            uow.commit()
        except WriteRejected as rejected:
            if rejected.broke(Rule.MEMBER_VERSION) or rejected.broke(Rule.ONCE_IS_NEW):
                given.changed_meanwhile = True  # its own write, or another runner's
                return given
            # out of stock, or the member holds as many as the template allows
            template_id = template.template_id if template else None
            given.refused.append((f"{template_id} refused: {rejected}", "coupon_refused"))
            if gift.change is None or attempt:
                return given
            fresh = d.members.get_member(member.member_id)
            if fresh is None or fresh.version != read_as:  # it changed: its own write decides
                given.changed_meanwhile = True
                return given
            member, template = fresh, None
            continue
        given.template_id = template.template_id if template else None
        return given
    return given
