"""Activities that earn growth value (成长值): a review, a share, a check-in, as the brand sets."""

from __future__ import annotations

from typing import Protocol

from ..contract.engagement import ActivityRequest
from ..domain.errors import ValidationFailed
from ..domain.idempotency import request_hash
from ..domain.membership import engage, qualify
from ..domain.outcomes import ActivityRecorded, MemberNow
from ..store.members import MemberStore
from ..store.once import OnceStore
from ..store.program import ProgramCache
from .shared import issuance, writes
from .shared.writes import Answer, Idem, Present, run_write


class Needs(writes.Needs, issuance.Needs, Protocol):
    programs: ProgramCache
    members: MemberStore
    once: OnceStore


def record(
    d: Needs,
    member_id: str,
    request: ActivityRequest,
    idem: Idem | None,
    present: Present[ActivityRecorded],
) -> Answer:
    """Credit the activity's growth once per `activity_id`; it may raise the tier at once."""
    program = d.programs.require()
    growth = program.growth.activities.get(request.activity)
    if growth is None:
        known = ", ".join(sorted(program.growth.activities)) or "none configured"
        raise ValidationFailed(
            f"unknown activity {request.activity!r} (known: {known})", param="activity"
        )
    fingerprint = request_hash("activity", request.model_dump(mode="json"))
    skip: dict[str, str] = {}  # rule coupons refused in an earlier attempt: the retry goes without

    def attempt() -> Answer:
        found = d.once.get(member_id, "activity", request.activity_id)
        if found is not None:
            return Answer.first(found[0], found[1], fingerprint, "activity_id")
        member = d.members.member(member_id)
        now = d.clock()
        reached = qualify(program, member, occurred=now, now=now, amount=0, growth=growth, orders=0)
        engage(program, member, now)
        uow = d.uow()
        coupon = issuance.stage_rule_coupon(
            d, uow, member_id, reached.welcome_coupon, now, "tier_up", skip
        )
        d.members.stage_member(uow, member, now, program.zone)
        body = present(
            ActivityRecorded(
                request.activity,
                request.activity_id,
                growth,
                reached,
                [coupon] if coupon else [],
                dict(skip),
                MemberNow(member, program, now),
            )
        )
        home = d.once.stage(uow, member_id, "activity", request.activity_id, fingerprint, body)
        answer = Answer(body, created=True, home=home)
        return issuance.commit_with_rule_coupons(d, uow, idem, answer, skip)

    return run_write(d, idem, attempt)
