"""Coupons given by name: by the admin to a member, or for points (points out, coupon in, one
transaction); never past stock or the per-member limit."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ..contract.checkout import ExchangeOut, ExchangeRequest
from ..contract.coupons import ClaimRequest, IssueOut, IssueRequest
from ..domain.errors import (
    CouponOutOfStock,
    MissingField,
    NotClaimable,
    SoldOut,
    ValidationFailed,
)
from ..domain.guards import WriteRejected
from ..domain.program import Limits
from .deps import Deps
from .shared import issuance
from .shared.limits import COUPONS, counted, refuse_when_reached, usage_today
from .shared.presenters import coupon_out, member_out
from .shared.writes import Answer, Idem, replay, request_hash, run_write, stage_answer


def issue(deps: Deps, template_id: str, request: IssueRequest, idem: Idem | None) -> Answer:
    """Admin issuance to one member; with `issue_id`, once."""
    program = deps.programs.current()
    limits, zone = (program.limits, program.zone) if program else (Limits(), ZoneInfo("UTC"))
    fingerprint = request_hash("issue", [template_id, request.model_dump(mode="json")])

    def attempt() -> Answer:
        record = deps.coupons.require_template(template_id)
        deps.members.member(request.member_id)
        if request.issue_id is not None:
            found = deps.once.get(request.member_id, "issue", request.issue_id)
            if found is not None:
                return replay(found[0], found[1], True, fingerprint, "issue_id")
        now = deps.clock()
        today = now.astimezone(zone).date()
        used = usage_today(deps, limits, request.member_id, today, COUPONS)
        refuse_when_reached(limits, COUPONS, used)
        uow = deps.uow()
        coupon = issuance.stage_issue(deps, uow, request.member_id, record.template, now, "admin")
        deps.usage.stage(uow, request.member_id, today, zone, counted(limits, COUPONS))
        body = IssueOut(coupon=coupon_out(coupon, now)).model_dump_json()
        home = None
        if request.issue_id is not None:
            home = deps.once.stage(
                uow, request.member_id, "issue", request.issue_id, fingerprint, body
            )
        answer = stage_answer(deps, uow, idem, Answer(body, created=True, home=home))
        try:
            uow.commit()
        except WriteRejected as rejected:
            issuance.refuse_issue(rejected, template_id)
            raise  # a retry with the same issue_id raced us: the next attempt replays it
        return answer

    return run_write(deps, idem, attempt)


def exchange(deps: Deps, member_id: str, request: ExchangeRequest, idem: Idem | None) -> Answer:
    """Points out, coupon in: one transaction; with `exchange_id`, once."""
    program = deps.programs.require()
    fingerprint = request_hash("exchange", request.model_dump(mode="json"))

    def attempt() -> Answer:
        record = deps.coupons.require_template(request.template_id)
        price = record.template.points_price
        if price is None:
            raise ValidationFailed(
                f"template {request.template_id} cannot be exchanged for points",
                param="template_id",
            )
        if request.exchange_id is not None:
            found = deps.once.get(member_id, "exchange", request.exchange_id)
            if found is not None:
                return replay(found[0], found[1], True, fingerprint, "exchange_id")
        now = deps.clock()
        today = now.astimezone(program.zone).date()
        used = usage_today(deps, program.limits, member_id, today, COUPONS)
        refuse_when_reached(program.limits, COUPONS, used)
        member, account = deps.members.load_account(member_id, now, spend=True)
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
        coupon = issuance.stage_issue(deps, uow, member_id, record.template, now, "points_exchange")
        deps.usage.stage(uow, member_id, today, program.zone, counted(program.limits, COUPONS))
        body = ExchangeOut(
            points_spent=price,
            coupon=coupon_out(coupon, now),
            member=member_out(member, program, now),
        ).model_dump_json()
        home = None
        if request.exchange_id is not None:
            home = deps.once.stage(
                uow, member_id, "exchange", request.exchange_id, fingerprint, body
            )
        answer = stage_answer(deps, uow, idem, Answer(body, created=True, home=home))
        try:
            uow.commit()
        except WriteRejected as rejected:
            issuance.refuse_issue(rejected, request.template_id)
            raise
        return answer

    return run_write(deps, idem, attempt)


def claim(deps: Deps, member_id: str, request: ClaimRequest, idem: Idem | None) -> Answer:
    """抢券: the member takes one coupon of a claimable template, never past its stock or its
    per-member limit. One unit is taken from a slice of the stock by a conditional write of its
    own (a slice drawn at random, then any with some left), then the coupon is written in a
    transaction of the member's own items (given back if that does not commit): thousands of
    members claim at once without queuing on one counter, and none is ever oversold."""
    if idem is None:
        raise MissingField(
            "a claim needs an Idempotency-Key: a claim sent again must not take a second coupon",
            param="Idempotency-Key",
        )
    program = deps.programs.current()
    limits, zone = (program.limits, program.zone) if program else (Limits(), ZoneInfo("UTC"))

    def attempt() -> Answer:
        record = deps.coupons.require_template(request.template_id)
        if not record.template.claimable:
            raise NotClaimable(
                f"members may not claim coupons of {request.template_id} themselves",
                param="template_id",
            )
        deps.members.member(member_id)
        now = deps.clock()
        reason = record.template.unissuable(now)
        if reason is not None:
            raise SoldOut(f"template {request.template_id}: {reason}", param="template_id")
        today = now.astimezone(zone).date()
        used = usage_today(deps, limits, member_id, today, COUPONS)
        refuse_when_reached(limits, COUPONS, used)
        uow = deps.uow()
        try:
            coupon = issuance.stage_issue(deps, uow, member_id, record.template, now, "claim")
        except CouponOutOfStock as exc:
            raise SoldOut(
                f"template {request.template_id} is sold out (已抢光)", param="template_id"
            ) from exc
        deps.usage.stage(uow, member_id, today, zone, counted(limits, COUPONS))
        body = IssueOut(coupon=coupon_out(coupon, now)).model_dump_json()
        answer = stage_answer(deps, uow, idem, Answer(body, created=True))
        try:
            uow.commit()
        except WriteRejected as rejected:
            issuance.refuse_issue(rejected, request.template_id)
            raise
        return answer

    return run_write(deps, idem, attempt)
