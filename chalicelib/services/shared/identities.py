"""Identities (phone, email, external id, OpenID) as the members' use cases handle them: normalised,
fingerprinted with the brand's key, and applied to the member (masked forms only)."""

from __future__ import annotations

from msgspec import Struct

from ...domain.identity import (
    IdentityKind,
    fingerprint,
    mask_email,
    mask_phone,
    normalise_email,
    normalise_phone,
)
from ...domain.members import Member
from ...domain.program import Program
from ..deps import Deps


class Identifier(Struct, frozen=True):
    kind: IdentityKind
    value: str
    fingerprint: str


def identifiers_of(
    deps: Deps,
    program: Program,
    phone: str | None,
    email: str | None,
    external_id: str | None,
    openid: str | None = None,
) -> list[Identifier]:
    found: list[tuple[IdentityKind, str]] = []
    if phone:
        found.append(("phone", normalise_phone(phone, program.default_phone_region)))
    if email:
        found.append(("email", normalise_email(email)))
    if external_id:
        found.append(("external_id", external_id))
    if openid:  # a WeChat/Alipay app's id for the person: kept as its fingerprint only
        found.append(("openid", openid))
    return [
        Identifier(kind, value, fingerprint(kind, value, deps.pii_key)) for kind, value in found
    ]


def apply_identifiers(member: Member, identifiers: list[Identifier]) -> None:
    for ident in identifiers:
        member.identities.append(f"{ident.kind}:{ident.fingerprint}")
        if ident.kind == "phone":
            member.phone_masked = mask_phone(ident.value)
        elif ident.kind == "email":
            member.email_masked = mask_email(ident.value)
        elif ident.kind == "external_id":
            member.external_id = ident.value


def remove_identity(member: Member, kind: str) -> str | None:
    """Take the member's identity of `kind` off it; its fingerprint, or None if it had none."""
    found = next((i for i in member.identities if i.split(":", 1)[0] == kind), None)
    if found is None:
        return None
    member.identities.remove(found)
    if kind == "phone":
        member.phone_masked = None
    elif kind == "email":
        member.email_masked = None
    elif kind == "external_id":
        member.external_id = None
    return found.split(":", 1)[1]
