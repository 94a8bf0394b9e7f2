"""Spending points as cash-off on an order: soonest-expiring first, one redemption per order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Protocol

from msgspec import Struct

from ..contract.checkout import RedemptionRequest
from ..domain.earning import redemption_discount
from ..domain.errors import DomainError, OrderConflict, ValidationFailed
from ..domain.guards import Rule, WriteRejected
from ..domain.idempotency import request_hash
from ..domain.limits import REDEMPTIONS, counted, refuse_when_reached
from ..domain.money import money
from ..domain.orders import RedemptionRecord
from ..domain.outcomes import MemberNow, PointsRedeemed
from ..domain.program import Program
from ..domain.risk import REDEMPTIONS_PER_MEMBER
from ..store.members import MemberStore
from ..store.orders import OrderStore
from ..store.program import ProgramCache
from ..store.unit_of_work import UnitOfWork
from .shared import limits, risk, writes
from .shared.risk import stage_member_velocity
from .shared.writes import Answer, Idem, Present, run_write, stage_answer


class Needs(writes.Needs, limits.Needs, risk.Needs, Protocol):
    programs: ProgramCache
    members: MemberStore
    orders: OrderStore

    @property
    def new_id(self) -> Callable[[datetime], str]: ...


class _Redemption(Struct, frozen=True):
    member_id: str
    request: RedemptionRequest
    fingerprint: str


def redeem(
    d: Needs,
    member_id: str,
    request: RedemptionRequest,
    idem: Idem | None,
    present: Present[PointsRedeemed],
) -> Answer:
    program = d.programs.require()
    rate = program.redemption
    if request.points % rate.points:
        raise ValidationFailed(
            f"points must be a multiple of {rate.points} "
            f"({rate.points} points = {money(rate.amount, program.currency)})",
            param="points",
        )
    if request.points < rate.min_points:
        raise ValidationFailed(f"at least {rate.min_points} points per redemption", param="points")
    asked = _Redemption(member_id, request, request_hash("redeem", request.model_dump(mode="json")))
    return run_write(d, idem, partial(_redeem, d, program, asked, idem, present))


def _recorded(d: Needs, asked: _Redemption) -> Answer | None:
    """The order's redemption made already: its first answer, if it is the same request."""
    record = d.orders.redemption(asked.member_id, asked.request.order_id)
    if record is None:
        return None
    if record.request_hash != asked.fingerprint:
        raise OrderConflict(
            f"order {asked.request.order_id} already has a points redemption of {record.points}",
            param="order_id",
        )
    return Answer(record.response, created=True, replayed=True)


def _first_or(d: Needs, asked: _Redemption, refused: DomainError) -> Answer:
    """A refusal, unless this is a retry of a redemption made (then the first answer)."""
    first = _recorded(d, asked)
    if first is None:
        raise refused
    return first


def _redeem(
    d: Needs,
    program: Program,
    asked: _Redemption,
    idem: Idem | None,
    present: Present[PointsRedeemed],
) -> Answer:
    request, member_id, now = asked.request, asked.member_id, d.clock()
    today = now.astimezone(program.zone).date()
    used = limits.usage_today(d, program.limits, member_id, today, REDEMPTIONS)
    try:
        refuse_when_reached(program.limits, REDEMPTIONS, used)
    except DomainError as refused:  # a retry of one of today's redemptions?
        return _first_or(d, asked, refused)
    member, account = d.members.load_account(member_id, now, spend=True)
    discount = redemption_discount(request.points, program)
    try:
        allocations = account.redeem(
            request.points,
            request.order_id,
            reason=f"redeemed on order {request.order_id} for "
            f"{money(discount, program.currency)} off",
        )
    except DomainError as refused:  # a retry after the points were spent by this order?
        return _first_or(d, asked, refused)
    uow = d.uow()
    d.members.stage_account(
        uow, member, account, zone=program.zone, now=now, new_id=lambda: d.new_id(now)
    )
    d.usage.stage(uow, member_id, today, program.zone, counted(program.limits, REDEMPTIONS))
    stage_member_velocity(d, uow, program, now, REDEMPTIONS_PER_MEMBER, member_id)
    seen = MemberNow(member, program, now)
    body = present(
        PointsRedeemed(request.order_id, request.points, discount, program.currency, seen)
    )
    record = RedemptionRecord(
        order_id=request.order_id,
        points=request.points,
        discount_amount=discount,
        allocations=[(lot_id, taken, 0) for lot_id, taken in allocations],
        request_hash=asked.fingerprint,
        response=body,
        created_at=now,
        lots={lot_id: account.lots[lot_id] for lot_id, _ in allocations},
    )
    d.orders.stage_redemption(uow, member_id, record, is_new=True)
    home = d.orders.redemption_home(member_id, request.order_id)
    return _commit(d, uow, asked, stage_answer(d, uow, idem, Answer(body, True, home=home)))


def _commit(d: Needs, uow: UnitOfWork, asked: _Redemption, answer: Answer) -> Answer:
    try:
        uow.commit()
    except WriteRejected as rejected:
        if (
            rejected.broke(Rule.REDEMPTION_IS_NEW)
            and not rejected.broke(Rule.IDEMPOTENCY_KEY_IS_NEW)
            and (first := _recorded(d, asked)) is not None
        ):
            return first
        raise
    return answer
