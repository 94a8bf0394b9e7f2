"""Use cases of members: enroll (one member per person), look up, read with lazy settlement."""

from __future__ import annotations

from contextlib import suppress

from ..contract.members import EnrollOut, EnrollRequest, LookupRequest, MemberOut, ReferralStatusOut
from ..domain.errors import (
    Forbidden,
    IdentityConflict,
    MemberNotFound,
    TooManyLots,
    ValidationFailed,
)
from ..domain.guards import WriteRejected
from ..domain.identity import fingerprint
from ..domain.members import Member
from ..domain.profile import birthday_problem
from ..domain.risk import ip_range
from .deps import Deps
from .shared import issuance, lifecycle, referrals, refusals
from .shared.identities import apply_identifiers, identifiers_of
from .shared.presenters import coupons_issued, member_out, skipped_out
from .shared.writes import Answer, Idem, run_write, stage_answer


def enroll(
    deps: Deps,
    request: EnrollRequest,
    idem: Idem | None,
    scope: str | None = "admin",
) -> Answer:
    """Create the member, or return the existing one any identifier already belongs to (as it
    is: its profile is changed by PATCH, not by enrolling again)."""
    program = deps.programs.require()
    problem = birthday_problem(request.birthday, deps.clock().astimezone(program.zone).date())
    if problem:
        raise ValidationFailed(problem, param="birthday")
    if request.tags and scope != "admin":
        raise Forbidden("tags are set with an admin key", param="tags")
    identifiers = identifiers_of(
        deps, program, request.phone, request.email, request.external_id, request.openid
    )
    device = fingerprint("device", request.device_id, deps.pii_key) if request.device_id else None
    referrer_id = referrals.referrer_of(deps, request.referred_by) if request.referred_by else None
    skip_coupons: dict[str, str] = {}

    def attempt() -> Answer:
        owners = {
            ident.kind: owner
            for ident in identifiers
            if (owner := deps.members.member_for_identity(ident.kind, ident.fingerprint))
        }
        if len(set(owners.values())) > 1:
            kind = sorted(owners)[-1]
            raise IdentityConflict(
                f"{', '.join(sorted(owners))} belong to different members", param=kind
            )
        now = deps.clock()
        uow = deps.uow()
        issued = None
        referral: ReferralStatusOut | None = None
        if owners:
            member = deps.members.get_member(next(iter(owners.values())))
            if member is None:
                raise MemberNotFound("the member of that identifier is gone", param=None)
            new = [ident for ident in identifiers if ident.kind not in owners]
            taken = sorted({ident.kind for ident in new} & member.kinds_held())
            if taken:  # one of each kind per member, as POST …/identities holds it
                found_by = sorted(owners)[0]
                conflict = IdentityConflict(
                    f"the member this {found_by} belongs to has another {taken[0]}: enrol "
                    f"without it, or remove the member's {taken[0]} first "
                    f"(DELETE /v1/members/{member.member_id}/identities/{taken[0]})",
                    param=taken[0],
                )
                conflict.details = {"member_id": member.member_id}
                raise conflict
            if new:  # link the identifiers this channel adds to the same person
                apply_identifiers(member, new)
                deps.members.stage_member(uow, member, now, program.zone)
            earlier = member.referral
            if referrer_id is not None and earlier and earlier.referrer_id == referrer_id:
                referral = ReferralStatusOut(status=earlier.state)  # the same enrolment again
            if referrer_id is not None and referral is None:  # a member already: too late
                reason = "self_referral" if member.member_id == referrer_id else "already_member"
                referral = ReferralStatusOut(status="refused", reason=reason)
        else:
            member = Member(
                member_id=f"mem_{deps.new_id(now)}",
                created_at=now,
                updated_at=now,
                version=1,
                birthday=request.birthday.isoformat() if request.birthday else None,
                marketing_consent=request.marketing_consent,
                channel=request.channel,
                name=request.name,
                gender=request.gender,
                locale=request.locale,
                tags=list(request.tags or []),
                attributes=dict(request.attributes or {}),
                consent_at=now if request.marketing_consent else None,
                consent_channel=request.channel if request.marketing_consent else None,
                device=device,
                # what the enrolment shares with others is counted off the stream, never here
                network=ip_range(request.client_ip) if request.client_ip else None,
            )
            new = identifiers
            apply_identifiers(member, new)
            referrals.give_code(deps, uow, member)
            if referrer_id is not None:
                why = referrals.refusal(deps, program, referrer_id, device)
                if why is None:
                    referrals.refer(member, referrer_id, now)
                referral = ReferralStatusOut(status="refused" if why else "waiting", reason=why)
            lifecycle.touch(program, member, now)  # a member who never buys turns dormant too
            deps.members.stage_new_member(uow, member, program.zone)
            issued = issuance.stage_rule_coupon(
                deps, uow, member.member_id, program.enroll_coupon, now, "enroll", skip_coupons
            )
        for ident in new:
            deps.members.stage_identity(uow, ident.kind, ident.fingerprint, member.member_id)
        body = EnrollOut(
            **member_out(member, program, now).model_dump(),
            coupons_issued=coupons_issued(issued, now),
            coupons_skipped=skipped_out(skip_coupons),
            referral=referral,
        ).model_dump_json()
        answer = stage_answer(deps, uow, idem, Answer(body, created=not owners))
        try:
            uow.commit()
        except WriteRejected as rejected:
            # Another channel enrolled the same person meanwhile, or the welcome coupon ran out
            # (remembered, so the retry goes without it): run_write reads again.
            issuance.skip_refused_rule_coupons(rejected, skip_coupons)
            raise
        return answer

    return run_write(deps, idem, attempt)


def lookup(deps: Deps, request: LookupRequest, principal: str) -> MemberOut:
    """The member an identifier belongs to. Look-ups that find no one are counted per API key
    and minute (`limits.lookup_misses_per_minute`), so the API is no oracle of who is a member."""
    program = deps.programs.require()
    limit, now = program.limits.lookup_misses_per_minute, deps.clock()
    if limit is not None:
        refusals.check_under(deps, refusals.LOOKUPS, principal, now, limit)
    (ident,) = identifiers_of(
        deps, program, request.phone, request.email, request.external_id, request.openid
    )
    member_id = deps.members.member_for_identity(ident.kind, ident.fingerprint)
    if member_id is None:
        if limit is not None:
            refusals.count_miss(deps, refusals.LOOKUPS, principal, now, limit)
        raise MemberNotFound(f"no member has that {ident.kind}", param=ident.kind)
    return read(deps, member_id)


def read(deps: Deps, member_id: str) -> MemberOut:
    """The member as of now: points whose return window ended vest, past-day points expire
    (written, with their ledger rows, the first time anyone looks)."""
    program = deps.programs.current()

    def attempt() -> Answer:
        now = deps.clock()
        # shown wholly settled; written as far as one transaction goes (the night does the rest)
        member, account = deps.members.load_account(member_id, now, settle_limit=None)
        if account.entries and program is not None:
            uow = deps.uow()
            deps.members.stage_account(
                uow, member, account, zone=program.zone, now=now, new_id=lambda: deps.new_id(now)
            )
            # more lots fell due than one transaction holds: shown settled, not written
            with suppress(TooManyLots):
                uow.commit()
        return Answer(member_out(member, program, now).model_dump_json())

    return MemberOut.model_validate_json(run_write(deps, None, attempt).body)
