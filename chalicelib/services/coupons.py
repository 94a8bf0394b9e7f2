"""Use cases of coupons: templates, issuance (API, rules, points exchange), redeem, release."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from ..contract import (
    CouponList,
    CouponOut,
    CouponQuoteOut,
    CouponRedeemOut,
    CouponRedeemRequest,
    CouponReleaseOut,
    CouponReleaseRequest,
    ExchangeOut,
    ExchangeRequest,
    IssueOut,
    IssueRequest,
    SkippedCouponOut,
    TemplateList,
    TemplateOut,
)
from ..domain.coupons import (
    CODE_BYTES,
    CouponTemplate,
    applicability,
    code_from,
    normalise_code,
)
from ..domain.earning import Basket
from ..domain.errors import (
    CouponLimitReached,
    CouponNotUsable,
    CouponOutOfStock,
    MemberNotFound,
    RateLimited,
    TemplateExists,
    TemplateNotFound,
    ValidationFailed,
    VersionConflict,
)
from ..store.coupons import Coupon, OrderCoupons, TemplateRecord
from ..store.unit_of_work import UnitOfWork, WriteRejected
from .deps import Deps
from .members import current_program, member_out
from .writes import Answer, Idem, replay, request_hash, run_write, stage_answer

# -- views -----------------------------------------------------------------------------------


def coupon_status(coupon: Coupon, now: datetime) -> str:
    if coupon.status == "redeemed":
        return "used"
    return "expired" if now >= coupon.valid_until else "usable"


def coupon_out(coupon: Coupon, now: datetime) -> CouponOut:
    t = coupon.template
    return CouponOut(
        code=coupon.code,
        template_id=t.template_id,
        name=t.name,
        kind=t.kind,
        status=coupon_status(coupon, now),
        amount_off=t.amount_off,
        percent_off=t.percent_off,
        max_discount=t.max_discount,
        min_spend=t.min_spend,
        categories=t.categories,
        skus=t.skus,
        stackable=t.stackable,
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
        source=coupon.source,
        order_id=coupon.order_id,
    )


def _template_out(record: TemplateRecord) -> TemplateOut:
    return TemplateOut(**record.template.model_dump(), issued=record.issued, version=record.version)


# -- templates (admin) -----------------------------------------------------------------------


def create_template(deps: Deps, template: CouponTemplate, idem: Idem | None) -> Answer:
    def attempt() -> Answer:
        if deps.coupons.template(template.template_id) is not None:
            raise TemplateExists(
                f"template {template.template_id} exists; PUT it to change it",
                param="template_id",
            )
        now = deps.clock()
        uow = deps.uow()
        deps.coupons.stage_template(uow, template, now, previous=None)
        record = TemplateRecord(template, 0, 1, now, now)
        body = _template_out(record).model_dump_json()
        stage_answer(deps, uow, idem, 201, body)
        try:
            uow.commit()
        except WriteRejected as rejected:
            if "shared_code_is_new" in rejected.failed:
                raise TemplateExists(
                    "another template already uses that shared code", param="shared_code"
                ) from rejected
            raise  # created meanwhile: the retry finds it and says so
        return Answer(201, body)

    return run_write(deps, idem, attempt)


def replace_template(
    deps: Deps, template_id: str, template: CouponTemplate, idem: Idem | None
) -> Answer:
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
        previous = get_template_record(deps, template_id)
        now = deps.clock()
        uow = deps.uow()
        deps.coupons.stage_template(uow, template, now, previous=previous)
        record = TemplateRecord(
            template, previous.issued, previous.version + 1, previous.created_at, now
        )
        body = _template_out(record).model_dump_json()
        stage_answer(deps, uow, idem, 200, body)
        try:
            uow.commit()
        except WriteRejected as rejected:
            if "shared_code_is_new" in rejected.failed:
                raise TemplateExists(
                    "another template already uses that shared code", param="shared_code"
                ) from rejected
            if "template_version" in rejected.failed:
                raise VersionConflict("the template changed meanwhile; retry") from rejected
            raise
        return Answer(200, body)

    return run_write(deps, idem, attempt)


def get_template_record(deps: Deps, template_id: str) -> TemplateRecord:
    record = deps.coupons.template(template_id)
    if record is None:
        raise TemplateNotFound(f"no coupon template {template_id}", param="template_id")
    return record


def get_template(deps: Deps, template_id: str) -> TemplateOut:
    return _template_out(get_template_record(deps, template_id))


def list_templates(deps: Deps) -> TemplateList:
    return TemplateList(templates=[_template_out(r) for r in deps.coupons.templates()])


# -- issuance --------------------------------------------------------------------------------


def new_coupon(
    member_id: str, template: CouponTemplate, now: datetime, source: str, code: str | None = None
) -> Coupon:
    valid_from, valid_until = template.valid_window(now)
    return Coupon(
        member_id=member_id,
        code=code or template.shared_code or code_from(secrets.token_bytes(CODE_BYTES)),
        template=template,
        status="issued",
        source=source,
        issued_at=now,
        valid_from=valid_from,
        valid_until=valid_until,
    )


def stage_issue(
    deps: Deps,
    uow: UnitOfWork,
    member_id: str,
    template: CouponTemplate,
    now: datetime,
    source: str,
) -> Coupon:
    """Issue inside the caller's transaction: never past stock or the per-member limit."""
    coupon = new_coupon(member_id, template, now, source)
    deps.coupons.stage_issue(
        uow, coupon, limit=template.per_member_limit, stock=template.total_stock
    )
    return coupon


def stage_rule_coupon(
    deps: Deps,
    uow: UnitOfWork,
    member_id: str,
    template_id: str | None,
    now: datetime,
    source: str,
    skip: dict[str, str],
) -> Coupon | None:
    """A coupon a rule gives (enroll, tier up): none, with the reason kept in `skip`, if the
    template is gone, cannot issue now, or was refused by stock or limit in an earlier attempt.
    A rule's coupon never blocks the write it rides in."""
    if template_id is None or template_id in skip:
        return None
    record = deps.coupons.template(template_id)
    if record is None:
        skip[template_id] = "the template no longer exists"
        return None
    reason = record.template.unissuable(now, record.issued)
    if reason is not None:
        skip[template_id] = reason
        return None
    return stage_issue(deps, uow, member_id, record.template, now, source)


def skip_refused_rule_coupons(rejected: WriteRejected, skip: dict[str, str]) -> None:
    """Remember rule coupons whose stock or limit refused the write: the retry goes without."""
    for label in rejected.failed:
        kind, _, template_id = label.partition(":")
        if kind == "coupon_stock":
            skip[template_id] = "it is out of stock"
        elif kind == "coupon_limit":
            skip[template_id] = "the member already holds as many as the template allows"


def skipped_out(skip: dict[str, str]) -> list[SkippedCouponOut]:
    return [SkippedCouponOut(template_id=t, reason=r) for t, r in sorted(skip.items())]


def _issue_refusal(rejected: WriteRejected, template_id: str) -> None:
    if f"coupon_stock:{template_id}" in rejected.failed:
        raise CouponOutOfStock(f"template {template_id} is out of stock", param="template_id")
    if f"coupon_limit:{template_id}" in rejected.failed:
        raise CouponLimitReached(
            f"the member already holds the most coupons of {template_id} it allows",
            param="template_id",
        )


def issue(deps: Deps, template_id: str, request: IssueRequest, idem: Idem | None) -> Answer:
    """Admin issuance to one member."""
    fingerprint = request_hash("issue", [template_id, request.model_dump(mode="json")])

    def attempt() -> Answer:
        record = get_template_record(deps, template_id)
        if deps.members.get_member(request.member_id) is None:
            raise MemberNotFound(f"no member {request.member_id}", param="member_id")
        if request.issue_id is not None:
            found = deps.once.get(request.member_id, "issue", request.issue_id)
            if found is not None:
                return replay(found[0], found[1], 201, fingerprint, "issue_id")
        now = deps.clock()
        uow = deps.uow()
        coupon = stage_issue(deps, uow, request.member_id, record.template, now, "admin")
        body = IssueOut(coupon=coupon_out(coupon, now)).model_dump_json()
        if request.issue_id is not None:
            deps.once.stage(uow, request.member_id, "issue", request.issue_id, fingerprint, body)
        stage_answer(deps, uow, idem, 201, body)
        try:
            uow.commit()
        except WriteRejected as rejected:
            _issue_refusal(rejected, template_id)
            raise  # a retry with the same issue_id raced us: the next attempt replays it
        return Answer(201, body)

    return run_write(deps, idem, attempt)


def exchange(deps: Deps, member_id: str, request: ExchangeRequest, idem: Idem | None) -> Answer:
    """Points out, coupon in: one transaction."""
    from .points import load_account  # the points use cases own the account loading

    program = current_program(deps)
    fingerprint = request_hash("exchange", request.model_dump(mode="json"))

    def attempt() -> Answer:
        record = get_template_record(deps, request.template_id)
        price = record.template.points_price
        if price is None:
            raise ValidationFailed(
                f"template {request.template_id} cannot be exchanged for points",
                param="template_id",
            )
        if request.exchange_id is not None:
            found = deps.once.get(member_id, "exchange", request.exchange_id)
            if found is not None:
                return replay(found[0], found[1], 201, fingerprint, "exchange_id")
        now = deps.clock()
        member, account = load_account(deps, member_id, now)
        account.redeem(
            price,
            f"exchange:{request.template_id}",
            reason=f"exchanged {price} points for a {record.template.name} coupon",
            kind="exchange",
        )
        uow = deps.uow()
        deps.members.stage_account(
            uow, member, account, zone=program.zone, now=now, new_id=lambda: deps.new_id(now)
        )
        coupon = stage_issue(deps, uow, member_id, record.template, now, "points_exchange")
        body = ExchangeOut(
            points_spent=price,
            coupon=coupon_out(coupon, now),
            member=member_out(member, program, now),
        ).model_dump_json()
        if request.exchange_id is not None:
            deps.once.stage(uow, member_id, "exchange", request.exchange_id, fingerprint, body)
        stage_answer(deps, uow, idem, 201, body)
        try:
            uow.commit()
        except WriteRejected as rejected:
            _issue_refusal(rejected, request.template_id)
            raise
        return Answer(201, body)

    return run_write(deps, idem, attempt)


# -- the member's coupons and checkout -------------------------------------------------------


def list_coupons(deps: Deps, member_id: str) -> CouponList:
    if deps.members.get_member(member_id) is None:
        raise MemberNotFound(f"no member {member_id}", param="member_id")
    now = deps.clock()
    grouped: dict[str, list[CouponOut]] = {"usable": [], "used": [], "expired": []}
    for coupon in sorted(deps.coupons.coupons(member_id), key=lambda c: c.valid_until):
        grouped[coupon_status(coupon, now)].append(coupon_out(coupon, now))
    return CouponList(**grouped)


def quote_coupons(
    deps: Deps, member_id: str, basket: Basket, now: datetime
) -> list[CouponQuoteOut]:
    """The member's usable coupons and what each takes off this basket (reasons included: the
    member's own coupons reveal nothing to an outsider)."""
    quoted = []
    for coupon in deps.coupons.coupons(member_id):
        if coupon_status(coupon, now) != "usable":
            continue
        if now < coupon.valid_from:
            result_reason, applies, discount, free = "not valid yet", False, 0, False
        else:
            found = applicability(coupon.template, basket)
            result_reason, applies = found.reason, found.applies
            discount, free = found.discount, found.free_shipping
        quoted.append(
            CouponQuoteOut(
                code=coupon.code,
                name=coupon.template.name,
                applies=applies,
                reason=result_reason,
                discount_amount=discount,
                free_shipping=free,
                stackable=coupon.template.stackable,
            )
        )
    return sorted(quoted, key=lambda q: (not q.applies, -q.discount_amount))


def _minute(now: datetime) -> str:
    return now.strftime("%Y%m%d%H%M")


def _refuse(deps: Deps, principal: str, now: datetime) -> CouponNotUsable:
    deps.coupons.count_failure(principal, _minute(now), int((now + timedelta(hours=1)).timestamp()))
    return CouponNotUsable("this coupon cannot be used on this order", param="code")


def _admit(deps: Deps, raw_code: str, principal: str, now: datetime) -> str:
    """The code in its stored form, unless this key is rate limited or it cannot be a code."""
    limit = deps.settings.coupon_failures_per_minute
    if deps.coupons.failures(principal, _minute(now)) >= limit:
        raise RateLimited(
            f"more than {limit} refused coupon codes from this key in a minute; wait a minute"
        )
    code = normalise_code(raw_code)
    if code is None:
        raise _refuse(deps, principal, now)
    return code


def redeem(
    deps: Deps,
    member_id: str,
    raw_code: str,
    request: CouponRedeemRequest,
    principal: str,
    idem: Idem | None,
) -> Answer:
    """Use a coupon on an order, exactly once: issued → redeemed under a condition."""
    from .points import basket_of

    now = deps.clock()
    code = _admit(deps, raw_code, principal, now)
    basket = None
    if request.amount is not None:
        if request.currency is None:
            raise ValidationFailed("currency goes with amount", param="currency")
        basket = basket_of(
            request.amount, request.currency, request.items, current_program(deps), now
        )

    def attempt() -> Answer:
        now = deps.clock()
        coupon = deps.coupons.coupon(member_id, code)
        claim = None
        if coupon is None:  # a brand's shared code is claimed by the member who uses it
            template_id = deps.coupons.template_for_shared_code(code)
            record = deps.coupons.template(template_id) if template_id else None
            if record is None:
                raise _refuse(deps, principal, now)
            coupon = claim = new_coupon(member_id, record.template, now, "shared_code", code)
        if coupon.status == "redeemed":
            if coupon.order_id == request.order_id and coupon.answer:
                return Answer(201, coupon.answer, replayed=True)
            raise _refuse(deps, principal, now)
        if not coupon.valid_from <= now < coupon.valid_until:
            raise _refuse(deps, principal, now)
        applies = applicability(coupon.template, basket) if basket else None
        if applies is not None and not applies.applies:
            raise _refuse(deps, principal, now)
        on_order = deps.coupons.order_coupons(member_id, request.order_id)
        if on_order.exclusive or (on_order.codes and not coupon.template.stackable):
            raise _refuse(deps, principal, now)
        after = OrderCoupons(
            request.order_id,
            [*on_order.codes, code],
            exclusive=not coupon.template.stackable,
            exists=True,
        )
        coupon.status, coupon.order_id, coupon.redeemed_at = "redeemed", request.order_id, now
        body = CouponRedeemOut(
            order_id=request.order_id,
            coupon=coupon_out(coupon, now),
            discount_amount=applies.discount if applies else None,
            free_shipping=coupon.template.kind == "free_shipping",
        ).model_dump_json()
        coupon.answer = body
        uow = deps.uow()
        if claim is not None:
            t = claim.template
            deps.coupons.stage_issue(uow, claim, limit=t.per_member_limit, stock=t.total_stock)
        else:
            deps.coupons.stage_coupon_state(uow, coupon, expected_status="issued")
        deps.coupons.stage_order_coupons(uow, member_id, on_order, after)
        stage_answer(deps, uow, idem, 201, body)
        try:
            uow.commit()
        except WriteRejected as rejected:
            if any(
                label.startswith(("coupon_stock:", "coupon_limit:")) for label in rejected.failed
            ):
                raise _refuse(deps, principal, now) from rejected
            raise  # someone else moved first: the next attempt sees what they did
        return Answer(201, body)

    return run_write(deps, idem, attempt)


def release(
    deps: Deps,
    member_id: str,
    raw_code: str,
    request: CouponReleaseRequest,
    principal: str,
    idem: Idem | None,
) -> Answer:
    """The order was cancelled: redeemed → issued, once."""
    code = _admit(deps, raw_code, principal, deps.clock())

    def attempt() -> Answer:
        now = deps.clock()
        coupon = deps.coupons.coupon(member_id, code)
        if coupon is None:
            raise _refuse(deps, principal, now)
        released_here = coupon.status == "issued" and coupon.released_order_id == request.order_id
        if released_here and coupon.answer:
            return Answer(200, coupon.answer, replayed=True)
        if coupon.status != "redeemed" or coupon.order_id != request.order_id:
            raise _refuse(deps, principal, now)
        uow = deps.uow()
        on_order = deps.coupons.order_coupons(member_id, request.order_id)
        body = stage_release(deps, uow, coupon, now)
        if on_order.exists:
            deps.coupons.stage_order_coupons(uow, member_id, on_order, without(on_order, [code]))
        stage_answer(deps, uow, idem, 200, body)
        uow.commit()
        return Answer(200, body)

    return run_write(deps, idem, attempt)


def without(on_order: OrderCoupons, codes: list[str]) -> OrderCoupons:
    left = [c for c in on_order.codes if c not in codes]
    return OrderCoupons(on_order.order_id, left, exclusive=False, exists=True)


def stage_release(deps: Deps, uow: UnitOfWork, coupon: Coupon, now: datetime) -> str:
    """Give a redeemed coupon back (order cancelled, or refunded when the template says so);
    the caller updates the order's coupon list once for all the coupons it gives back."""
    order_id = coupon.order_id or ""
    coupon.status, coupon.order_id, coupon.redeemed_at = "issued", None, None
    coupon.released_order_id = order_id
    body = CouponReleaseOut(order_id=order_id, coupon=coupon_out(coupon, now)).model_dump_json()
    coupon.answer = body
    deps.coupons.stage_coupon_state(uow, coupon, expected_status="redeemed")
    return body
