"""Use case: change a member's profile (PATCH). Personal data: kept, never logged."""

from __future__ import annotations

import json
from functools import partial
from typing import Protocol

from ..contract.members import ProfilePatch
from ..domain.errors import Forbidden, MemberNotFound, ValidationFailed
from ..domain.members import Member
from ..domain.outcomes import MemberNow
from ..domain.profile import MAX_ATTRIBUTES, MAX_ATTRIBUTES_BYTES, birthday_problem, merged
from ..domain.program import Program
from ..store.members import MemberStore
from ..store.program import ProgramCache
from .shared import writes
from .shared.writes import Answer, Idem, Present, run_write, stage_answer

ADMIN_ONLY = ("tags",)


class Needs(writes.Needs, Protocol):
    programs: ProgramCache
    members: MemberStore


def check_scope(fields: set[str], scope: str | None, member: Member | None) -> None:
    """Tags are the merchant's; a birthday, once set, moves only with an admin key (else a
    member could collect a birthday gift every month)."""
    if scope == "admin":
        return
    for name in ADMIN_ONLY:
        if name in fields:
            raise Forbidden(f"{name} are set with an admin key", param=name)
    if "birthday" in fields and member is not None and member.birthday is not None:
        raise Forbidden(
            "the birthday is set already: an admin key changes it (birthday gifts)",
            param="birthday",
        )


def apply(member: Member, patch: ProfilePatch, fields: set[str]) -> None:
    for name in ("name", "gender", "locale"):
        if name in fields:
            setattr(member, name, getattr(patch, name))
    if "birthday" in fields:
        member.birthday = patch.birthday.isoformat() if patch.birthday else None
    if "tags" in fields:
        member.tags = list(patch.tags or [])
    if "attributes" in fields:
        if patch.attributes is None:  # "attributes": null removes them all
            member.attributes = {}
        else:  # an empty object changes nothing (RFC 7396)
            member.attributes = merged(member.attributes, patch.attributes)
        size = len(json.dumps(member.attributes, ensure_ascii=False).encode())
        if len(member.attributes) > MAX_ATTRIBUTES or size > MAX_ATTRIBUTES_BYTES:
            raise ValidationFailed(
                f"attributes: the member would have {len(member.attributes)} ({size} bytes); "
                f"at most {MAX_ATTRIBUTES} ({MAX_ATTRIBUTES_BYTES} bytes)",
                param="attributes",
            )


def update(
    d: Needs,
    member_id: str,
    patch: ProfilePatch,
    scope: str | None,
    idem: Idem | None,
    present: Present[MemberNow],
) -> Answer:
    program = d.programs.require()
    fields = set(patch.model_fields_set)
    if "marketing_consent" in fields and patch.marketing_consent is None:
        raise ValidationFailed("marketing_consent: true or false", param="marketing_consent")
    problem = birthday_problem(patch.birthday, d.clock().astimezone(program.zone).date())
    if problem:
        raise ValidationFailed(problem, param="birthday")
    change = partial(_update, d, program, member_id, patch, fields, scope, idem, present)
    return run_write(d, idem, change)


def _update(
    d: Needs,
    program: Program,
    member_id: str,
    patch: ProfilePatch,
    fields: set[str],
    scope: str | None,
    idem: Idem | None,
    present: Present[MemberNow],
) -> Answer:
    member = d.members.get_member(member_id)
    if member is None:
        raise MemberNotFound(f"no member {member_id}", param="member_id")
    check_scope(fields, scope, member)
    changed_at = d.clock()
    apply(member, patch, fields)
    if "marketing_consent" in fields and patch.marketing_consent != member.marketing_consent:
        member.marketing_consent = bool(patch.marketing_consent)
        member.consent_at = changed_at
        member.consent_channel = patch.channel or member.channel
    uow = d.uow()
    d.members.stage_member(uow, member, changed_at, program.zone)
    body = present(MemberNow(member, program, changed_at))
    answer = stage_answer(d, uow, idem, Answer(body))
    uow.commit()
    return answer
