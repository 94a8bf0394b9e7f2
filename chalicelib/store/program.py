"""The brand's program document: every version kept, `CURRENT` pointing at the newest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from msgspec import Struct

from ..domain.errors import ProgramNotConfigured
from ..domain.guards import Guard, Rule
from ..domain.program import Program
from . import keys
from .models import ProgramItem
from .unit_of_work import UnitOfWork, get_or_none


class ProgramStore:
    def current(self) -> Program | None:
        item = get_or_none(ProgramItem, keys.PROGRAM_PK, keys.PROGRAM_CURRENT_SK)
        if item is None:
            return None
        return Program.model_validate_json(item.document).model_copy(
            update={"version": int(item.version)}
        )

    def stage_save(
        self, uow: UnitOfWork, program: Program, expected_version: int, now: datetime
    ) -> None:
        """Write version N+1 and move CURRENT to it, only if CURRENT is still at N."""
        new_version = expected_version + 1
        document = program.model_copy(update={"version": new_version}).model_dump_json()
        for sk in (keys.program_version_sk(new_version), keys.PROGRAM_CURRENT_SK):
            item = ProgramItem(
                pk=keys.PROGRAM_PK, sk=sk, version=new_version, document=document, updated_at=now
            )
            if sk == keys.PROGRAM_CURRENT_SK:
                condition = (
                    ProgramItem.pk.does_not_exist()
                    if expected_version == 0
                    else ProgramItem.version == expected_version
                )
                uow.put(Guard(Rule.PROGRAM_VERSION), item, condition)
            else:
                uow.put(Guard(Rule.PROGRAM_VERSION_IS_NEW), item, ProgramItem.pk.does_not_exist())


class ProgramCache(Struct):
    """The program document, cached in the warm Lambda for `ttl` seconds (0: never cached)."""

    store: ProgramStore
    ttl: float
    clock: Callable[[], datetime]
    _cached: Program | None = None
    _read_at: datetime | None = None

    def current(self) -> Program | None:
        now = self.clock()
        stale = self._read_at is None or now - self._read_at > timedelta(seconds=self.ttl)
        if self._cached is None or stale:
            self._cached = self.store.current()
            self._read_at = now
        return self._cached

    def require(self) -> Program:
        """The program, or a clear refusal when the brand has not stored one yet."""
        program = self.current()
        if program is None:
            raise ProgramNotConfigured(
                "the brand has no program yet: PUT /v1/admin/program first", param=None
            )
        return program

    def invalidate(self) -> None:
        self._cached = None
