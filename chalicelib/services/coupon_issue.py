"""Coupons given by name: by the admin to a member, for points (points out, coupon in, one
transaction), or claimed by the member (抢券); never past stock or the per-member limit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from ..contract.checkout import ExchangeRequest
from ..contract.coupons import ClaimRequest, IssueRequest
from ..domain.coupons import refuse_issue
from ..domain.errors import (
    CouponOutOfStock,
    MissingField,
    NotClaimable,
    SoldOut,
    ValidationFailed,
)
from ..domain.guards import WriteRejected
from ..domain.idempotency import request_hash
from ..domain.limits import COUPONS, counted, refuse_when_reached
from ..domain.outcomes import CouponExchanged, CouponIssued, MemberNow
from ..domain.program import Limits, Program
from ..store.members import MemberStore
from ..store.once import OnceStore
from ..store.program import ProgramCache
from ..store.unit_of_work import UnitOfWork
from .shared import issuance, limits, writes
from .shared.writes import Answer, Idem, Present, run_write, stage_answer


class Needs(writes.Needs, issuance.Needs, limits.Needs, Protocol):
    programs: ProgramCache
    members: MemberStore
    once: OnceStore

    @property
    def new_id(self) -> Callable[[datetime], str]: ...


def _limits(program: Program | None) -> tuple[Limits, ZoneInfo]:
    return (program.limits, program.zone) if program else (Limits(), ZoneInfo("UTC"))


def _within_daily_limit(
    d: Needs, lim: Limits, zone: ZoneInfo, member_id: str, now: datetime, uow: UnitOfWork
) -> None:
    """One more coupon for the member today, refused once the day's limit is reached."""
    today = now.astimezone(zone).date()
    refuse_when_reached(lim, COUPONS, limits.usage_today(d, lim, member_id, today, COUPONS))
    d.usage.stage(uow, member_id, today, zone, counted(lim, COUPONS))


def _commit(uow: UnitOfWork, template_id: str) -> None:
    try:
        uow.commit()
    except WriteRejected as rejected:
        refuse_issue(rejected, template_id)  # stock or the member's limit: said as such
        raise  # a retry with the same id raced us: the next attempt replays it


def issue(
    d: Needs,
    template_id: str,
    request: IssueRequest,
    idem: Idem | None,
    present: Present[CouponIssued],
) -> Answer:
    """Admin issuance to one member; with `issue_id`, once."""
    lim, zone = _limits(d.programs.current())
    fingerprint = request_hash("issue", [template_id, request.model_dump(mode="json")])

    def attempt() -> Answer:
        record = d.coupons.require_template(template_id)
        d.members.member(request.member_id)
        if request.issue_id is not None:
            found = d.once.get(request.member_id, "issue", request.issue_id)
            if found is not None:
                return Answer.first(found[0], found[1], fingerprint, "issue_id")
        now, uow = d.clock(), d.uow()
        _within_daily_limit(d, lim, zone, request.member_id, now, uow)
        coupon = issuance.stage_issue(d, uow, request.member_id, record.template, now, "admin")
        body = present(CouponIssued(coupon, now))
        home = None
        if request.issue_id is not None:
            home = d.once.stage(
                uow, request.member_id, "issue", request.issue_id, fingerprint, body
            )
        answer = stage_answer(d, uow, idem, Answer(body, created=True, home=home))
        _commit(uow, template_id)
        return answer

    return run_write(d, idem, attempt)


def exchange(
    d: Needs,
    member_id: str,
    request: ExchangeRequest,
    idem: Idem | None,
    present: Present[CouponExchanged],
) -> Answer:
    """Points out, coupon in: one transaction; with `exchange_id`, once."""
    program = d.programs.require()
    fingerprint = request_hash("exchange", request.model_dump(mode="json"))

    def attempt() -> Answer:
        record = d.coupons.require_template(request.template_id)
        price = record.template.points_price
        if price is None:
            raise ValidationFailed(
                f"template {request.template_id} cannot be exchanged for points",
                param="template_id",
            )
        if request.exchange_id is not None:
            found = d.once.get(member_id, "exchange", request.exchange_id)
            if found is not None:
                return Answer.first(found[0], found[1], fingerprint, "exchange_id")
        now, uow = d.clock(), d.uow()
        _within_daily_limit(d, program.limits, program.zone, member_id, now, uow)
        member, account = d.members.load_account(member_id, now, spend=True)
        account.redeem(
            price,
            f"exchange:{request.template_id}",
            reason=f"exchanged {price} points for a {record.template.name} coupon",
            kind="exchange",
        )
        d.members.stage_account(
            uow, member, account, zone=program.zone, now=now, new_id=lambda: d.new_id(now)
        )
        coupon = issuance.stage_issue(d, uow, member_id, record.template, now, "points_exchange")
        body = present(CouponExchanged(price, coupon, MemberNow(member, program, now)))
        home = None
        if request.exchange_id is not None:
            home = d.once.stage(uow, member_id, "exchange", request.exchange_id, fingerprint, body)
        answer = stage_answer(d, uow, idem, Answer(body, created=True, home=home))
        _commit(uow, request.template_id)
        return answer

    return run_write(d, idem, attempt)


def claim(
    d: Needs,
    member_id: str,
    request: ClaimRequest,
    idem: Idem | None,
    present: Present[CouponIssued],
) -> Answer:
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
    lim, zone = _limits(d.programs.current())

    def attempt() -> Answer:
        record = d.coupons.require_template(request.template_id)
        if not record.template.claimable:
            raise NotClaimable(
                f"members may not claim coupons of {request.template_id} themselves",
                param="template_id",
            )
        d.members.member(member_id)
        now = d.clock()
        reason = record.template.unissuable(now)
        if reason is not None:
            raise SoldOut(f"template {request.template_id}: {reason}", param="template_id")
        uow = d.uow()
        _within_daily_limit(d, lim, zone, member_id, now, uow)
        try:
            coupon = issuance.stage_issue(d, uow, member_id, record.template, now, "claim")
        except CouponOutOfStock as exc:
            raise SoldOut(
                f"template {request.template_id} is sold out (已抢光)", param="template_id"
            ) from exc
        answer = stage_answer(d, uow, idem, Answer(present(CouponIssued(coupon, now)), True))
        _commit(uow, request.template_id)
        return answer

    return run_write(d, idem, attempt)
