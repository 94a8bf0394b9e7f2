"""Use cases of the brand's program document: read it, replace it (versioned)."""

from __future__ import annotations

from ..domain.errors import ValidationFailed, VersionConflict
from ..domain.guards import Rule, WriteRejected
from ..domain.program import Program
from .deps import Deps
from .shared.writes import Answer, Idem, run_write, stage_answer


def get(deps: Deps) -> Program:
    # The admin reads the stored truth, not the warm Lambda's cached copy.
    deps.programs.invalidate()
    return deps.programs.require()


def check_coupon_references(deps: Deps, document: Program) -> None:
    """Every template the program names exists and can issue now, so no rule is set up to fail."""
    now = deps.clock()
    for path, template_id in document.coupon_references():
        record = deps.coupons.template(template_id)
        if record is None:
            raise ValidationFailed(f"{path}: no coupon template {template_id!r}", param=path)
        reason = record.template.unissuable(now)
        if reason is not None:
            raise ValidationFailed(
                f"{path}: template {template_id!r} cannot issue coupons: {reason}", param=path
            )


def put(deps: Deps, document: Program, idem: Idem | None) -> Answer:
    """Store a new version. With `version` in the body, only if that is still the current one."""
    check_coupon_references(deps, document)

    def attempt() -> Answer:
        current = deps.program_store.current()
        current_version = current.version or 0 if current else 0
        if document.version is not None and document.version != current_version:
            raise VersionConflict(
                f"the program is at version {current_version}, not {document.version}",
                param="version",
            )
        now = deps.clock()
        uow = deps.uow()
        deps.program_store.stage_save(uow, document, current_version, now)
        body = document.model_copy(update={"version": current_version + 1}).model_dump_json()
        answer = stage_answer(deps, uow, idem, Answer(body, created=current_version == 0))
        try:
            uow.commit()
        except WriteRejected as rejected:
            if rejected.broke(Rule.PROGRAM_VERSION) and document.version is not None:
                raise VersionConflict(
                    "the program changed while saving", param="version"
                ) from rejected
            raise  # without a version, last writer wins: run_write reads again
        finally:
            deps.programs.invalidate()
        return answer

    return run_write(deps, idem, attempt)


def ensure(deps: Deps, document: Program) -> Program:
    """Store `document` as version 1 if the brand has no program yet (the demo seed)."""
    existing = deps.program_store.current()
    if existing is not None:
        return existing
    put(deps, document.model_copy(update={"version": None}), None)
    return deps.programs.require()
