"""The brand's program document: every version kept, `CURRENT` pointing at the newest."""

from __future__ import annotations

from datetime import datetime

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
