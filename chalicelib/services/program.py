"""Use cases of the brand's program document: read it, replace it (versioned)."""

from __future__ import annotations

from typing import Protocol

from ..domain.errors import ValidationFailed, VersionConflict
from ..domain.guards import Rule, WriteRejected
from ..domain.program import Program
from ..store.coupons import CouponStore
from ..store.program import ProgramCache, ProgramStore
from .shared import writes
from .shared.writes import Answer, Idem, run_write, stage_answer


class Needs(writes.Needs, Protocol):
    programs: ProgramCache
    program_store: ProgramStore
    coupons: CouponStore


def get(d: Needs) -> Program:
    # The admin reads the stored truth, not the warm Lambda's cached copy.
    d.programs.invalidate()
    return d.programs.require()


def check_coupon_references(d: Needs, document: Program) -> None:
    """Every template the program names exists and can issue now, so no rule is set up to fail."""
    now = d.clock()
    for path, template_id in document.coupon_references():
        record = d.coupons.template(template_id)
        if record is None:
            raise ValidationFailed(f"{path}: no coupon template {template_id!r}", param=path)
        reason = record.template.unissuable(now)
        if reason is not None:
            raise ValidationFailed(
                f"{path}: template {template_id!r} cannot issue coupons: {reason}", param=path
            )


def put(d: Needs, document: Program, idem: Idem | None) -> Answer:
    """Store a new version. With `version` in the body, only if that is still the current one."""
    check_coupon_references(d, document)

    def attempt() -> Answer:
        current = d.program_store.current()
        current_version = current.version or 0 if current else 0
        if document.version is not None and document.version != current_version:
            raise VersionConflict(
                f"the program is at version {current_version}, not {document.version}",
                param="version",
            )
        now = d.clock()
        uow = d.uow()
        d.program_store.stage_save(uow, document, current_version, now)
        body = document.model_copy(update={"version": current_version + 1}).model_dump_json()
        answer = stage_answer(d, uow, idem, Answer(body, created=current_version == 0))
        try:
            uow.commit()
        except WriteRejected as rejected:
            if rejected.broke(Rule.PROGRAM_VERSION) and document.version is not None:
                raise VersionConflict(
                    "the program changed while saving", param="version"
                ) from rejected
            raise  # without a version, last writer wins: run_write reads again
        finally:
            d.programs.invalidate()
        return answer

    return run_write(d, idem, attempt)


def ensure(d: Needs, document: Program) -> Program:
    """Store `document` as version 1 if the brand has no program yet (the demo seed)."""
    existing = d.program_store.current()
    if existing is not None:
        return existing
    put(d, document.model_copy(update={"version": None}), None)
    return d.programs.require()
