"""Coupon templates, as the admin writes them: create, replace (issued coupons keep their
terms), read, list."""

from __future__ import annotations

from ..contract.coupons import TemplateList, TemplateOut
from ..domain.coupons import CouponTemplate, split_stock
from ..domain.errors import TemplateExists, ValidationFailed, VersionConflict
from ..domain.guards import Rule, WriteRejected
from ..store.coupons import TemplateRecord
from ..store.unit_of_work import UnitOfWork
from .deps import Deps
from .shared.presenters import template_out
from .shared.writes import Answer, Idem, run_write, stage_answer


def _shared_code_taken(rejected: WriteRejected) -> None:
    if rejected.broke(Rule.SHARED_CODE_IS_NEW):
        raise TemplateExists(
            "another template already uses that shared code", param="shared_code"
        ) from rejected


def create(deps: Deps, template: CouponTemplate, idem: Idem | None) -> Answer:
    def attempt() -> Answer:
        if deps.coupons.template(template.template_id) is not None:
            raise TemplateExists(
                f"template {template.template_id} exists; PUT it to change it",
                param="template_id",
            )
        now = deps.clock()
        uow = deps.uow()
        deps.coupons.stage_template(uow, template, now, previous=None)
        if template.total_stock is not None:
            wanted = split_stock(template.total_stock, template.slice_count)
            deps.coupons.stage_slices(uow, template.template_id, wanted, read=[])
        body = template_out(TemplateRecord(template, 0, 1, now, now), issued=0).model_dump_json()
        answer = stage_answer(deps, uow, idem, Answer(body, created=True))
        try:
            uow.commit()
        except WriteRejected as rejected:
            _shared_code_taken(rejected)
            raise  # created meanwhile: the retry finds it and says so
        return answer

    return run_write(deps, idem, attempt)


def replace(deps: Deps, template_id: str, template: CouponTemplate, idem: Idem | None) -> Answer:
    """Change a template's terms for coupons issued from now on; issued coupons keep theirs."""
    if template.template_id != template_id:
        raise ValidationFailed("template_id must match the URL", param="template_id")
    program = deps.programs.current()
    named = {tid: path for path, tid in program.coupon_references()} if program else {}
    reason = template.unissuable(deps.clock())
    if template_id in named and reason is not None:
        raise ValidationFailed(
            f"the program's {named[template_id]} names this template, which then could not "
            f"issue coupons: {reason}",
            param="validity",
        )

    def attempt() -> Answer:
        previous = deps.coupons.require_template(template_id)
        now = deps.clock()
        uow = deps.uow()
        deps.coupons.stage_template(uow, template, now, previous=previous)
        issued = deps.coupons.issued(previous)
        _restock(deps, uow, previous, template, issued)
        updated = TemplateRecord(
            template, previous.issued, previous.version + 1, previous.created_at, now
        )
        out = template_out(updated, issued=issued)
        answer = stage_answer(deps, uow, idem, Answer(out.model_dump_json()))
        try:
            uow.commit()
        except WriteRejected as rejected:
            _shared_code_taken(rejected)
            if rejected.broke(Rule.TEMPLATE_VERSION):
                raise VersionConflict("the template changed meanwhile; retry") from rejected
            raise
        return answer

    return run_write(deps, idem, attempt)


def _restock(
    deps: Deps,
    uow: UnitOfWork,
    previous: TemplateRecord,
    template: CouponTemplate,
    issued: int,
) -> None:
    """The stock's slices as the new terms want them: what is left (the new stock less what
    was issued) split anew, each slice only if no claim took from it since it was read."""
    before, after = previous.template, template
    if (before.total_stock, before.slice_count) == (after.total_stock, after.slice_count):
        return
    read = deps.coupons.stock_left(before) if before.total_stock is not None else []
    wanted: list[int] = []
    if after.total_stock is not None:
        wanted = split_stock(max(after.total_stock - issued, 0), after.slice_count)
    deps.coupons.stage_slices(uow, template.template_id, wanted, read)


def get(deps: Deps, template_id: str) -> TemplateOut:
    record = deps.coupons.require_template(template_id)
    return template_out(record, issued=deps.coupons.issued(record))


def list_all(deps: Deps) -> TemplateList:
    return TemplateList(
        templates=[template_out(r, issued=deps.coupons.issued(r)) for r in deps.coupons.templates()]
    )
