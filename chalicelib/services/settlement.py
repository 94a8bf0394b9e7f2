"""Use case (nightly): settle a member nobody touched, as of the end of its due day, exactly as
a read or a write of the member would settle it (the same `load_account`): the unspent
remainder of each due lot expires, pending points whose window ended vest, one journal item per
write, in the same transaction as the balances and lots, guarded by the member's version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal, Protocol

from msgspec import Struct

from ..domain.errors import MemberNotFound
from ..domain.guards import WriteRejected
from ..domain.program import Program
from ..store.members import MemberStore
from ..store.unit_of_work import UnitOfWork


class Needs(Protocol):
    members: MemberStore

    @property
    def new_id(self) -> Callable[[datetime], str]: ...

    def uow(self) -> UnitOfWork: ...


class Settled(Struct, frozen=True):
    """One write's settlement: `nothing` due (settled meanwhile by the member's own read or
    write), `gone`, `changed` meanwhile (its own write settled it, through the same code), or
    `settled`, with what expired and vested and whether more lots are still due."""

    outcome: Literal["settled", "nothing", "gone", "changed"]
    expired: int = 0
    vested: int = 0
    backlog: bool = False


def settle(d: Needs, program: Program, member_id: str, as_of: datetime, dry_run: bool) -> Settled:
    """At most SETTLE_LOTS_PER_WRITE lots; TooManyLots goes up (the runner records it)."""
    try:
        member, account = d.members.load_account(member_id, as_of, spend=True)
    except MemberNotFound:
        return Settled("gone")
    if not account.entries:
        return Settled("nothing")
    expired = -sum(e.points for e in account.entries if e.kind == "expire")
    vested = sum(e.balance_delta for e in account.entries if e.kind == "vest")
    if not dry_run:
        uow = d.uow()
        d.members.stage_account(
            uow, member, account, zone=program.zone, now=as_of, new_id=lambda: d.new_id(as_of)
        )
        try:
            uow.commit()
        except WriteRejected:
            return Settled("changed")
    return Settled("settled", expired, vested, account.backlog and not dry_run)
