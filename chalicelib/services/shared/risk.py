"""Velocity signals (风控) as a member's own writes count them: one more for the member today,
ADDed in the write's own transaction. They never block or retry the write; the stream consumer
sees a count reach the program's threshold and keeps the signal (`aggregates.risk`). A program
that sets a threshold to null counts nothing for it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ...domain.program import Program
from ...store import keys
from ...store.risk import RiskStore
from ...store.unit_of_work import UnitOfWork


class Needs(Protocol):
    risk: RiskStore


def stage_member_velocity(
    d: Needs, uow: UnitOfWork, program: Program, now: datetime, kind: str, member_id: str
) -> None:
    if getattr(program.risk, kind) is None:
        return
    day = now.astimezone(program.zone).date()
    d.risk.stage_count(uow, keys.member_pk(member_id), day, kind, program.zone, now)
