"""Activities that earn growth value (成长值): a review, a share, a check-in, as the brand sets."""

from __future__ import annotations

from ..contract.engagement import ActivityOut, ActivityRequest
from ..domain.errors import ValidationFailed
from ..domain.guards import WriteRejected
from .deps import Deps
from .shared import issuance, lifecycle, tiers
from .shared.presenters import coupons_issued, member_out, skipped_out
from .shared.writes import Answer, Idem, replay, request_hash, run_write, stage_answer


def record(deps: Deps, member_id: str, request: ActivityRequest, idem: Idem | None) -> Answer:
    """Credit the activity's growth once per `activity_id`; it may raise the tier at once."""
    program = deps.programs.require()
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
            return replay(found[0], found[1], True, fingerprint, "activity_id")
        member = deps.members.member(member_id)
        now = deps.clock()
        change, welcome = tiers.on_purchase(
            program, member, occurred=now, now=now, amount=0, growth=growth, orders=0
        )
        lifecycle.engage(program, member, now)
        uow = deps.uow()
        issued = issuance.stage_rule_coupon(
            deps, uow, member_id, welcome, now, "tier_up", skip_coupons
        )
        deps.members.stage_member(uow, member, now, program.zone)
        body = ActivityOut(
            activity=request.activity,
            activity_id=request.activity_id,
            growth_earned=growth,
            tier_changed=change,
            coupons_issued=coupons_issued(issued, now),
            coupons_skipped=skipped_out(skip_coupons),
            member=member_out(member, program, now),
        ).model_dump_json()
        home = deps.once.stage(uow, member_id, "activity", request.activity_id, fingerprint, body)
        answer = stage_answer(deps, uow, idem, Answer(body, created=True, home=home))
        try:
            uow.commit()
        except WriteRejected as rejected:
            issuance.skip_refused_rule_coupons(rejected, skip_coupons)
            raise
        return answer

    return run_write(deps, idem, attempt)
