"""Use cases: add an identity (phone, email, external id, OpenID) to a member, or remove one. An
identity belongs to one member only; a member keeps at least one."""

from __future__ import annotations

from ..contract.members import IdentityAdd, MemberOut
from ..domain.errors import IdentityConflict, IdentityNotFound, LastIdentity, MemberNotFound
from ..domain.members import Member
from .deps import Deps
from .shared.identities import apply_identifiers, identifiers_of, remove_identity
from .shared.presenters import member_out
from .shared.writes import Answer, Idem, run_write, stage_answer


def _member(deps: Deps, member_id: str) -> Member:
    member = deps.members.get_member(member_id)
    if member is None:
        raise MemberNotFound(f"no member {member_id}", param="member_id")
    return member


def add(deps: Deps, member_id: str, request: IdentityAdd, idem: Idem | None) -> Answer:
    program = deps.programs.require()
    values = {request.kind: request.value}
    (ident,) = identifiers_of(
        deps,
        program,
        values.get("phone"),
        values.get("email"),
        values.get("external_id"),
        values.get("openid"),
    )

    def attempt() -> Answer:
        member = _member(deps, member_id)
        now = deps.clock()
        owner = deps.members.member_for_identity(ident.kind, ident.fingerprint)
        if owner == member_id:  # already this member's: nothing to do
            return Answer(member_out(member, program, now).model_dump_json())
        if owner is not None:
            raise IdentityConflict(f"that {ident.kind} belongs to another member", param="value")
        if ident.kind in member.kinds_held():
            raise IdentityConflict(
                f"the member has a {ident.kind} already: remove it first", param="kind"
            )
        apply_identifiers(member, [ident])
        uow = deps.uow()
        deps.members.stage_identity(uow, ident.kind, ident.fingerprint, member_id)
        deps.members.stage_member(uow, member, now, program.zone)
        out: MemberOut = member_out(member, program, now)
        answer = stage_answer(deps, uow, idem, Answer(out.model_dump_json(), created=True))
        uow.commit()
        return answer

    return run_write(deps, idem, attempt)


def remove(deps: Deps, member_id: str, kind: str, idem: Idem | None) -> Answer:
    program = deps.programs.require()

    def attempt() -> Answer:
        member = _member(deps, member_id)
        now = deps.clock()
        if len(member.identities) == 1 and member.identities[0].startswith(f"{kind}:"):
            raise LastIdentity(
                "a member keeps at least one identity: add another first", param="kind"
            )
        fingerprint = remove_identity(member, kind)
        if fingerprint is None:
            raise IdentityNotFound(f"the member has no {kind}", param="kind")
        uow = deps.uow()
        deps.members.stage_identity_removal(uow, kind, fingerprint, member_id)
        deps.members.stage_member(uow, member, now, program.zone)
        answer = stage_answer(
            deps, uow, idem, Answer(member_out(member, program, now).model_dump_json())
        )
        uow.commit()
        return answer

    return run_write(deps, idem, attempt)
