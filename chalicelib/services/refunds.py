"""Refunding all or part of an order: claw back what the refunded part earned, give back the
points redeemed on it (to the lots they came from), and a used coupon where its template says.

Each attempt reads the order and the member, decides (`domain.membership.refund`: pure), then
stages the member, the coupons given back, the order, the redemption and the answer in one unit
of work; `run_write` drives the attempts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Protocol

from msgspec import Struct
from msgspec.structs import replace

from ..contract.checkout import RefundRequest
from ..domain.errors import OrderNotFound
from ..domain.idempotency import request_hash
from ..domain.membership import Refunded
from ..domain.membership import refund as take_back
from ..domain.orders import OrderRecord, RedemptionRecord
from ..domain.outcomes import CouponReleased, MemberNow, RefundRecorded
from ..domain.program import Program
from ..domain.risk import REFUNDS_AFTER_REDEEM
from ..store.members import MemberStore
from ..store.once import OnceStore
from ..store.orders import OrderStore
from ..store.program import ProgramCache
from ..store.unit_of_work import UnitOfWork
from .shared import issuance, risk, writes
from .shared.risk import stage_member_velocity
from .shared.writes import Answer, Idem, Present, run_write, stage_answer


class Needs(writes.Needs, issuance.Needs, risk.Needs, Protocol):
    programs: ProgramCache
    members: MemberStore
    orders: OrderStore
    once: OnceStore

    @property
    def new_id(self) -> Callable[[datetime], str]: ...


class _Refund(Struct, frozen=True):
    member_id: str
    request: RefundRequest
    fingerprint: str
    once_key: str  # order id # refund id: a refund id is recorded once per order


class Presenters(Struct, frozen=True):
    """The refund's answer, and the answer a coupon it gives back keeps (its release's)."""

    refund: Present[RefundRecorded]
    release: Present[CouponReleased]


def refund(
    d: Needs, member_id: str, request: RefundRequest, idem: Idem | None, present: Presenters
) -> Answer:
    program = d.programs.require()
    asked = _Refund(
        member_id,
        request,
        request_hash("refund", request.model_dump(mode="json")),
        f"{request.order_id}#{request.refund_id}",
    )
    return run_write(d, idem, partial(_refund, d, program, asked, idem, present))


def _recorded(d: Needs, asked: _Refund) -> Answer | None:
    if asked.request.refund_id is None:
        return None
    found = d.once.get(asked.member_id, "refund", asked.once_key)
    if found is None:
        return None
    return Answer.first(found[0], found[1], asked.fingerprint, "refund_id")


def _refund(
    d: Needs, program: Program, asked: _Refund, idem: Idem | None, present: Presenters
) -> Answer:
    first = _recorded(d, asked)
    if first is not None:
        return first
    request, member_id = asked.request, asked.member_id
    order, redemption = d.orders.order_and_redemption(member_id, request.order_id)
    now = d.clock()
    member, account = d.members.load_account(member_id, now, spend=True)
    if order is None:
        raise OrderNotFound(
            f"member {member_id} has no purchase {request.order_id}", param="order_id"
        )
    refunded = take_back(program, member, account, order, redemption, request.amount, now)
    uow = d.uow()
    returned = (
        _return_coupons(d, uow, member_id, request.order_id, now, present.release)
        if refunded.fully_refunded
        else []
    )
    d.members.stage_account(
        uow, member, account, zone=program.zone, now=now, new_id=lambda: d.new_id(now)
    )
    if redemption is not None:  # paid with points, then refunded: a pattern worth counting
        stage_member_velocity(d, uow, program, now, REFUNDS_AFTER_REDEEM, member_id)
    seen = MemberNow(member, program, now)
    body = present.refund(
        RefundRecorded(request.order_id, request.amount, refunded, seen, returned)
    )
    _stage_order(d, uow, member_id, order, redemption, refunded, now)
    home = None
    if request.refund_id is not None:
        home = d.once.stage(uow, member_id, "refund", asked.once_key, asked.fingerprint, body)
    answer = stage_answer(d, uow, idem, Answer(body, created=True, home=home))
    uow.commit()
    return answer


def _stage_order(
    d: Needs,
    uow: UnitOfWork,
    member_id: str,
    order: OrderRecord,
    redemption: RedemptionRecord | None,
    refunded: Refunded,
    now: datetime,
) -> None:
    """The order's refunded amount and what it clawed back; the redemption's points given back."""
    plan = refunded.plan
    d.orders.stage_order_refund(
        uow,
        member_id,
        replace(
            order,
            refunded_amount=plan.refunded_after,
            points_clawed_back=order.points_clawed_back + plan.clawback,
            growth_clawed_back=order.growth_clawed_back + refunded.growth_back,
            refunded_at=now,
        ),
        refunded_before=order.refunded_amount,
    )
    if redemption is not None and plan.returns:
        back = dict(plan.returns)
        allocations = [
            (lot, taken, prev + back.get(lot, 0)) for lot, taken, prev in redemption.allocations
        ]
        d.orders.stage_redemption(
            uow, member_id, replace(redemption, allocations=allocations), is_new=False
        )


def _return_coupons(
    d: Needs,
    uow: UnitOfWork,
    member_id: str,
    order_id: str,
    now: datetime,
    present: Present[CouponReleased],
) -> list[str]:
    """A full refund gives back the coupons used on the order whose template says so."""
    on_order = d.coupons.order_coupons(member_id, order_id)
    returned = []
    for code in on_order.codes:
        coupon = d.coupons.coupon(member_id, code)
        if coupon and coupon.status == "redeemed" and coupon.template.return_on_refund:
            issuance.stage_release(d, uow, coupon, now, present)
            returned.append(code)
    if returned:
        d.coupons.stage_order_coupons(uow, member_id, on_order, on_order.without(returned))
    return returned
