"""Identities as the members' use cases read them: fingerprinted with the brand's key, read on
first use (the rules: `domain.identity`)."""

from __future__ import annotations

from typing import Protocol

from ...domain.identity import Identifier, identifiers_of
from ...domain.program import Program


class Needs(Protocol):
    @property
    def pii_key(self) -> bytes: ...


def identifiers(
    d: Needs,
    program: Program,
    phone: str | None,
    email: str | None,
    external_id: str | None,
    openid: str | None = None,
) -> list[Identifier]:
    """The identifiers given, normalised and fingerprinted with the brand's key."""
    return identifiers_of(d.pii_key, program, phone, email, external_id, openid)
