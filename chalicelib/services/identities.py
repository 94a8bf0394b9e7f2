"""Use cases: add an identity (phone, email, external id, OpenID) to a member, or remove one. An
identity belongs to one member only; a member keeps at least one."""

from __future__ import annotations

from typing import Protocol

from ..contract.members import IdentityAdd
from ..domain.errors import IdentityConflict, IdentityNotFound, LastIdentity, MemberNotFound
from ..domain.identity import apply_identifiers, remove_identity
from ..domain.members import Member
from ..domain.outcomes import MemberNow
from ..store.members import MemberStore
from ..store.program import ProgramCache
from .shared import identities, writes
from .shared.writes import Answer, Idem, Present, run_write, stage_answer


class Needs(writes.Needs, identities.Needs, Protocol):
    programs: ProgramCache
    members: MemberStore


def _member(d: Needs, member_id: str) -> Member:
    member = d.members.get_member(member_id)
    if member is None:
        raise MemberNotFound(f"no member {member_id}", param="member_id")
    return member


def add(
    d: Needs, member_id: str, request: IdentityAdd, idem: Idem | None, present: Present[MemberNow]
) -> Answer:
    program = d.programs.require()
    values = {request.kind: request.value}
    (ident,) = identities.identifiers(
        d,
        program,
        values.get("phone"),
        values.get("email"),
        values.get("external_id"),
        values.get("openid"),
    )

    def attempt() -> Answer:
        member = _member(d, member_id)
        now = d.clock()
        owner = d.members.member_for_identity(ident.kind, ident.fingerprint)
        if owner == member_id:  # already this member's: nothing to do
            return Answer(present(MemberNow(member, program, now)))
        if owner is not None:
            raise IdentityConflict(f"that {ident.kind} belongs to another member", param="value")
        if ident.kind in member.kinds_held():
            raise IdentityConflict(
                f"the member has a {ident.kind} already: remove it first", param="kind"
            )
        apply_identifiers(member, [ident])
        uow = d.uow()
        d.members.stage_identity(uow, ident.kind, ident.fingerprint, member_id)
        d.members.stage_member(uow, member, now, program.zone)
        body = present(MemberNow(member, program, now))
        answer = stage_answer(d, uow, idem, Answer(body, created=True))
        uow.commit()
        return answer

    return run_write(d, idem, attempt)


def remove(
    d: Needs, member_id: str, kind: str, idem: Idem | None, present: Present[MemberNow]
) -> Answer:
    program = d.programs.require()

    def attempt() -> Answer:
        member = _member(d, member_id)
        now = d.clock()
        if len(member.identities) == 1 and member.identities[0].startswith(f"{kind}:"):
            raise LastIdentity(
                "a member keeps at least one identity: add another first", param="kind"
            )
        fingerprint = remove_identity(member, kind)
        if fingerprint is None:
            raise IdentityNotFound(f"the member has no {kind}", param="kind")
        uow = d.uow()
        d.members.stage_identity_removal(uow, kind, fingerprint, member_id)
        d.members.stage_member(uow, member, now, program.zone)
        answer = stage_answer(d, uow, idem, Answer(present(MemberNow(member, program, now))))
        uow.commit()
        return answer

    return run_write(d, idem, attempt)
