"""Use case (admin): a member's opening balance and tier, brought from the brand's old system
(导入) — once per member. The points are a lot like any other (spent in expiry order, expiring
on their day), written with an `import` ledger row in the same transaction as the balance, so
the books reconcile from the first day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol

from ..contract.opening import OpeningRequest
from ..domain.errors import ValidationFailed
from ..domain.expiry import expires_at, lot_terms
from ..domain.idempotency import request_hash
from ..domain.membership import enter_tier
from ..domain.outcomes import MemberNow, OpeningRecorded
from ..domain.points import Lot
from ..domain.program import Program
from ..store.members import MemberStore
from ..store.once import OnceStore
from ..store.program import ProgramCache
from .shared import writes
from .shared.writes import Answer, Idem, Present, run_write, stage_answer

ONCE = ("import", "opening")


class Needs(writes.Needs, Protocol):
    members: MemberStore
    once: OnceStore
    programs: ProgramCache

    @property
    def new_id(self) -> Callable[[datetime], str]: ...


def check(program: Program, request: OpeningRequest, today: date) -> None:
    """Refuse what could never be written: a tier the program does not have, a past last day."""
    ladder = program.tiers
    if request.tier is not None and (ladder is None or ladder.tier(request.tier) is None):
        named = (
            ", ".join(t.name for t in ladder.tiers) if ladder else "none: the program has no tiers"
        )
        raise ValidationFailed(f"tier is one of the program's ({named})", param="tier")
    if request.expires_on is not None and request.expires_on < today:
        raise ValidationFailed("expires_on is in the past (brand-local)", param="expires_on")


def open_member(
    d: Needs,
    member_id: str,
    request: OpeningRequest,
    idem: Idem | None,
    present: Present[OpeningRecorded],
) -> Answer:
    program = d.programs.require()
    fingerprint = request_hash("opening", request.model_dump(mode="json"))

    def attempt() -> Answer:
        found = d.once.get(member_id, *ONCE)
        if found is not None:
            return Answer.first(found[0], found[1], fingerprint, "member_id")
        now: datetime = d.clock()
        today = now.astimezone(program.zone).date()
        check(program, request, today)
        member, account = d.members.load_account(member_id, now)
        last_day = request.expires_on or lot_terms(now, program, now).last_day
        if request.points:
            account.earn(
                Lot(
                    lot_id=d.new_id(now),
                    points=request.points,
                    remaining=request.points,
                    earned_at=now,
                    expires_at=expires_at(last_day, program.zone),
                    vests_at=None,
                    pending=False,
                    order_id=None,
                ),
                reason=f"opening balance of {request.points} points imported"
                + (f" from {request.source}" if request.source else ""),
                kind="import",
            )
        if request.tier is not None:
            enter_tier(program, member, request.tier, now)
        uow = d.uow()
        d.members.stage_account(
            uow, member, account, zone=program.zone, now=now, new_id=lambda: d.new_id(now)
        )
        body = present(
            OpeningRecorded(
                member_id=member_id,
                points=request.points,
                expires_on=last_day if request.points else None,
                tier=request.tier,
                seen=MemberNow(member, program, now),
            )
        )
        home = d.once.stage(uow, member_id, *ONCE, fingerprint, body)
        answer = stage_answer(d, uow, idem, Answer(body, created=True, home=home))
        uow.commit()
        return answer

    return run_write(d, idem, attempt)
