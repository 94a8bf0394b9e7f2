"""Coupon templates, as the admin writes them: create, replace (issued coupons keep their
terms), read, list."""

from __future__ import annotations

from typing import Protocol

from ..domain.coupons import CouponTemplate, TemplateRecord, split_stock
from ..domain.errors import TemplateExists, ValidationFailed, VersionConflict
from ..domain.guards import Rule, WriteRejected
from ..store.coupons import CouponStore
from ..store.program import ProgramCache
from ..store.unit_of_work import UnitOfWork
from .shared import writes
from .shared.writes import Answer, Idem, Present, run_write, stage_answer

Counted = tuple[TemplateRecord, int]  # a template and how many coupons it issued


class Needs(writes.Needs, Protocol):
    programs: ProgramCache
    coupons: CouponStore


def _shared_code_taken(rejected: WriteRejected) -> None:
    if rejected.broke(Rule.SHARED_CODE_IS_NEW):
        raise TemplateExists(
            "another template already uses that shared code", param="shared_code"
        ) from rejected


def create(
    d: Needs, template: CouponTemplate, idem: Idem | None, present: Present[Counted]
) -> Answer:
    def attempt() -> Answer:
        if d.coupons.template(template.template_id) is not None:
            raise TemplateExists(
                f"template {template.template_id} exists; PUT it to change it",
                param="template_id",
            )
        now = d.clock()
        uow = d.uow()
        d.coupons.stage_template(uow, template, now, previous=None)
        if template.total_stock is not None:
            wanted = split_stock(template.total_stock, template.slice_count)
            d.coupons.stage_slices(uow, template.template_id, wanted, read=[])
        body = present((TemplateRecord(template, 0, 1, now, now), 0))
        answer = stage_answer(d, uow, idem, Answer(body, created=True))
        try:
            uow.commit()
        except WriteRejected as rejected:
            _shared_code_taken(rejected)
            raise  # created meanwhile: the retry finds it and says so
        return answer

    return run_write(d, idem, attempt)


def replace(
    d: Needs,
    template_id: str,
    template: CouponTemplate,
    idem: Idem | None,
    present: Present[Counted],
) -> Answer:
    """Change a template's terms for coupons issued from now on; issued coupons keep theirs."""
    if template.template_id != template_id:
        raise ValidationFailed("template_id must match the URL", param="template_id")
    program = d.programs.current()
    named = {tid: path for path, tid in program.coupon_references()} if program else {}
    reason = template.unissuable(d.clock())
    if template_id in named and reason is not None:
        raise ValidationFailed(
            f"the program's {named[template_id]} names this template, which then could not "
            f"issue coupons: {reason}",
            param="validity",
        )

    def attempt() -> Answer:
        previous = d.coupons.require_template(template_id)
        now = d.clock()
        uow = d.uow()
        d.coupons.stage_template(uow, template, now, previous=previous)
        issued = d.coupons.issued(previous)
        _restock(d, uow, previous, template, issued)
        updated = TemplateRecord(
            template, previous.issued, previous.version + 1, previous.created_at, now
        )
        answer = stage_answer(d, uow, idem, Answer(present((updated, issued))))
        try:
            uow.commit()
        except WriteRejected as rejected:
            _shared_code_taken(rejected)
            if rejected.broke(Rule.TEMPLATE_VERSION):
                raise VersionConflict("the template changed meanwhile; retry") from rejected
            raise
        return answer

    return run_write(d, idem, attempt)


def _restock(
    d: Needs,
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
    read = d.coupons.stock_left(before) if before.total_stock is not None else []
    wanted: list[int] = []
    if after.total_stock is not None:
        wanted = split_stock(max(after.total_stock - issued, 0), after.slice_count)
    d.coupons.stage_slices(uow, template.template_id, wanted, read)


def get(d: Needs, template_id: str) -> Counted:
    record = d.coupons.require_template(template_id)
    return record, d.coupons.issued(record)


def list_all(d: Needs) -> list[Counted]:
    return [(record, d.coupons.issued(record)) for record in d.coupons.templates()]
