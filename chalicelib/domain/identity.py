"""Member identifiers: normalise, fingerprint with the brand's HMAC key, and mask for display.

`phonenumbers` and `email_validator` are imported on first use, not with the module: most calls
(a purchase, a read) never meet a phone number, and a cold start should not pay for them."""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

from msgspec import Struct

from .errors import ValidationFailed
from .members import Member
from .program import Program

IdentityKind = Literal["phone", "email", "external_id", "openid"]
IDENTITY_KINDS: tuple[IdentityKind, ...] = ("phone", "email", "external_id", "openid")


def normalise_phone(raw: str, default_region: str) -> str:
    """E.164, so '138 0013 8000' and '+8613800138000' are one person."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(f"not a phone number: {exc}", param="phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("not a valid phone number", param="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        valid = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(f"not an email address: {exc}", param="email") from exc
    return valid.normalized.lower()


def fingerprint(kind: IdentityKind | Literal["device"], value: str, key: bytes) -> str:
    """HMAC-SHA256, not a bare hash: all 10^10 phone numbers are hashed in minutes."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def mask_phone(e164: str) -> str:
    import phonenumbers

    number = phonenumbers.parse(e164)
    national = str(number.national_number)
    keep_head = 3 if len(national) >= 10 else 1
    hidden = len(national) - keep_head - 4
    return f"+{number.country_code} {national[:keep_head]}{'*' * max(hidden, 1)}{national[-4:]}"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


class Identifier(Struct, frozen=True):
    kind: IdentityKind
    value: str
    fingerprint: str


def identifiers_of(
    key: bytes,
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
    return [Identifier(kind, value, fingerprint(kind, value, key)) for kind, value in found]


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
