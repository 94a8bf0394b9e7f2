"""Use cases of members: enroll (one member per person), look up, read with lazy settlement."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from functools import partial
from typing import Protocol

from msgspec import Struct

from ..contract.members import EnrollRequest, LookupRequest
from ..domain.errors import (
    Forbidden,
    IdentityConflict,
    MemberNotFound,
    TooManyLots,
    ValidationFailed,
)
from ..domain.identity import Identifier, apply_identifiers, fingerprint
from ..domain.members import Member
from ..domain.membership import refer, touch
from ..domain.outcomes import Enrolled, MemberNow, ReferralOutcome
from ..domain.profile import birthday_problem
from ..domain.program import Program
from ..domain.risk import ip_range
from ..store.members import MemberStore
from ..store.program import ProgramCache
from ..store.unit_of_work import UnitOfWork
from .shared import identities, issuance, referrals, refusals, writes
from .shared.writes import Answer, Idem, Present, retry, run_write


class Needs(
    writes.Needs, issuance.Needs, referrals.Needs, identities.Needs, refusals.Needs, Protocol
):
    programs: ProgramCache
    members: MemberStore

    @property
    def new_id(self) -> Callable[[datetime], str]: ...


def enroll(
    d: Needs,
    request: EnrollRequest,
    idem: Idem | None,
    scope: str | None,
    present: Present[Enrolled],
) -> Answer:
    """Create the member, or return the existing one any identifier already belongs to (as it
    is: its profile is changed by PATCH, not by enrolling again)."""
    program = d.programs.require()
    problem = birthday_problem(request.birthday, d.clock().astimezone(program.zone).date())
    if problem:
        raise ValidationFailed(problem, param="birthday")
    if request.tags and scope != "admin":
        raise Forbidden("tags are set with an admin key", param="tags")
    given = identities.identifiers(
        d, program, request.phone, request.email, request.external_id, request.openid
    )
    device = fingerprint("device", request.device_id, d.pii_key) if request.device_id else None
    referrer_id = referrals.referrer_of(d, request.referred_by) if request.referred_by else None
    person = _Person(request, given, device, referrer_id)
    skip: dict[str, str] = {}  # rule coupons refused in an earlier attempt: the retry goes without
    return run_write(d, idem, partial(_enroll, d, program, person, skip, idem, present))


class _Person(Struct, frozen=True):
    """Who enrols, as read once before the attempts: the request, its identifiers (normalised
    and fingerprinted), the device's fingerprint and the referrer a code names."""

    request: EnrollRequest
    given: list[Identifier]
    device: str | None
    referrer_id: str | None


def _enroll(
    d: Needs,
    program: Program,
    person: _Person,
    skip: dict[str, str],
    idem: Idem | None,
    present: Present[Enrolled],
) -> Answer:
    owners = _owners(d, person.given)
    now, uow = d.clock(), d.uow()
    if owners:
        member, new, referral = _link(d, program, person, owners, uow, now)
        issued = []
    else:
        member, referral = _new_member(d, program, person, uow, now)
        new = person.given
        coupon = issuance.stage_rule_coupon(
            d, uow, member.member_id, program.enroll_coupon, now, "enroll", skip
        )
        issued = [coupon] if coupon else []
    for ident in new:
        d.members.stage_identity(uow, ident.kind, ident.fingerprint, member.member_id)
    body = present(Enrolled(MemberNow(member, program, now), issued, dict(skip), referral))
    # Another channel may enrol the same person meanwhile: run_write reads again.
    return issuance.commit_with_rule_coupons(d, uow, idem, Answer(body, created=not owners), skip)


def _owners(d: Needs, given: list[Identifier]) -> dict[str, str]:
    """The member each identifier already belongs to; refused when they are not one member."""
    owners: dict[str, str] = {
        ident.kind: owner
        for ident in given
        if (owner := d.members.member_for_identity(ident.kind, ident.fingerprint))
    }
    if len(set(owners.values())) > 1:
        kind = sorted(owners)[-1]
        raise IdentityConflict(
            f"{', '.join(sorted(owners))} belong to different members", param=kind
        )
    return owners


def _link(
    d: Needs,
    program: Program,
    person: _Person,
    owners: dict[str, str],
    uow: UnitOfWork,
    now: datetime,
) -> tuple[Member, list[Identifier], ReferralOutcome | None]:
    """The person is a member already: the identifiers this channel adds linked to it."""
    member = d.members.get_member(next(iter(owners.values())))
    if member is None:
        raise MemberNotFound("the member of that identifier is gone", param=None)
    new = [ident for ident in person.given if ident.kind not in owners]
    taken = sorted({ident.kind for ident in new} & member.kinds_held())
    if taken:  # one of each kind per member, as POST …/identities holds it
        conflict = IdentityConflict(
            f"the member this {sorted(owners)[0]} belongs to has another {taken[0]}: enrol "
            f"without it, or remove the member's {taken[0]} first "
            f"(DELETE /v1/members/{member.member_id}/identities/{taken[0]})",
            param=taken[0],
        )
        conflict.details = {"member_id": member.member_id}
        raise conflict
    if new:
        apply_identifiers(member, new)
        d.members.stage_member(uow, member, now, program.zone)
    return member, new, _late_referral(member, person.referrer_id)


def _late_referral(member: Member, referrer_id: str | None) -> ReferralOutcome | None:
    """A referral code given by a member already: the same enrolment again, or too late."""
    if referrer_id is None:
        return None
    earlier = member.referral
    if earlier and earlier.referrer_id == referrer_id:
        return ReferralOutcome(status=earlier.state)
    if member.member_id == referrer_id:
        return ReferralOutcome(status="refused", reason="self_referral")
    return ReferralOutcome(status="refused", reason="already_member")


def _new_member(
    d: Needs, program: Program, person: _Person, uow: UnitOfWork, now: datetime
) -> tuple[Member, ReferralOutcome | None]:
    request = person.request
    member = Member(
        member_id=f"mem_{d.new_id(now)}",
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
        device=person.device,
        # what the enrolment shares with others is counted off the stream, never here
        network=ip_range(request.client_ip) if request.client_ip else None,
    )
    apply_identifiers(member, person.given)
    referrals.give_code(d, uow, member)
    referral = None
    if person.referrer_id is not None:
        why = referrals.refusal(d, program, person.referrer_id, person.device)
        if why is None:
            refer(member, person.referrer_id, now)
        referral = ReferralOutcome(status="refused" if why else "waiting", reason=why)
    touch(program, member, now)  # a member who never buys turns dormant too
    d.members.stage_new_member(uow, member, program.zone)
    return member, referral


def lookup(d: Needs, request: LookupRequest, principal: str) -> MemberNow:
    """The member an identifier belongs to. Look-ups that find no one are counted per API key
    and minute (`limits.lookup_misses_per_minute`), so the API is no oracle of who is a member."""
    program = d.programs.require()
    limit, now = program.limits.lookup_misses_per_minute, d.clock()
    if limit is not None:
        refusals.check_under(d, refusals.LOOKUPS, principal, now, limit)
    (ident,) = identities.identifiers(
        d, program, request.phone, request.email, request.external_id, request.openid
    )
    member_id = d.members.member_for_identity(ident.kind, ident.fingerprint)
    if member_id is None:
        if limit is not None:
            refusals.count_miss(d, refusals.LOOKUPS, principal, now, limit)
        raise MemberNotFound(f"no member has that {ident.kind}", param=ident.kind)
    return read(d, member_id)


def read(d: Needs, member_id: str) -> MemberNow:
    """The member as of now: points whose return window ended vest, past-day points expire
    (written, with their ledger rows, the first time anyone looks)."""
    program = d.programs.current()

    def attempt() -> MemberNow:
        now = d.clock()
        # shown wholly settled; written as far as one transaction goes (the night does the rest)
        member, account = d.members.load_account(member_id, now, settle_limit=None)
        if account.entries and program is not None:
            uow = d.uow()
            d.members.stage_account(
                uow, member, account, zone=program.zone, now=now, new_id=lambda: d.new_id(now)
            )
            # more lots fell due than one transaction holds: shown settled, not written
            with suppress(TooManyLots):
                uow.commit()
        return MemberNow(member, program, now)

    return retry(d, attempt)
