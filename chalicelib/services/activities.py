"""Activities that earn growth value (成长值): a review, a share, a check-in, as the brand sets."""

from __future__ import annotations

from ..contract import ActivityOut, ActivityRequest
from ..domain.errors import MemberNotFound, ValidationFailed
from ..store.unit_of_work import WriteRejected
from . import coupons, lifecycle, tiers
from .deps import Deps
from .members import current_program, member_out
from .writes import Answer, Idem, replay, request_hash, run_write, stage_answer


def record(deps: Deps, member_id: str, request: ActivityRequest, idem: Idem | None) -> Answer:
    """Credit the activity's growth once per `activity_id`; it may raise the tier at once."""
    program = current_program(deps)
    growth = program.growth.activities.get(request.activity)
    if growth is None:
        known = ", ".join(sorted(program.growth.activities)) or "none configured"
        raise ValidationFailed(
            f"unknown activity {request.activity!r} (known: {known})", param="activity"
        )
    fingerprint = request_hash("activity", request.model_dump(mode="json"))
    skip_coupons: dict[str, str] = {}

    def attempt() -> Answer:
        found = deps.once.get(member_id, "activity", request.activity_id)
        if found is not None:
            return replay(found[0], found[1], 201, fingerprint, "activity_id")
        member = deps.members.get_member(member_id)
        if member is None:
            raise MemberNotFound(f"no member {member_id}", param="member_id")
        now = deps.clock()
        expected = member.version
        change, welcome = tiers.on_purchase(
            program, member, occurred=now, now=now, amount=0, growth=growth, orders=0
        )
        lifecycle.touch(program, member, now)
        member.version, member.updated_at = expected + 1, now
        uow = deps.uow()
        issued = coupons.stage_rule_coupon(
            deps, uow, member_id, welcome, now, "tier_up", skip_coupons
        )
        deps.members.stage_member(uow, member, expected_version=expected)
        body = ActivityOut(
            activity=request.activity,
            activity_id=request.activity_id,
            growth_earned=growth,
            tier_changed=change,
            coupons_issued=[coupons.coupon_out(issued, now)] if issued else [],
            coupons_skipped=coupons.skipped_out(skip_coupons),
            member=member_out(member, program, now),
        ).model_dump_json()
        deps.once.stage(uow, member_id, "activity", request.activity_id, fingerprint, body)
        stage_answer(deps, uow, idem, 201, body)
        try:
            uow.commit()
        except WriteRejected as rejected:
            coupons.skip_refused_rule_coupons(rejected, skip_coupons)
            raise
        return Answer(201, body)

    return run_write(deps, idem, attempt)
