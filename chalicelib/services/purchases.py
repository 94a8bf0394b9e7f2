"""Recording a purchase: points earned exactly once per (member, order id), whatever the retries;
the tier raised at once, with its welcome coupon, in the same transaction.

Each attempt reads the member, decides (`domain.membership.purchase`, and the friend's referral
reward: pure), then stages the member, its coupons, the day's usage, the order and the answer in
one unit of work; `run_write` drives the attempts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Protocol

from msgspec import Struct

from ..contract.checkout import PurchaseRequest
from ..domain.coupons import Coupon, skip_refused_rule_coupons
from ..domain.earning import basket_of
from ..domain.errors import OrderConflict
from ..domain.guards import Rule, WriteRejected
from ..domain.idempotency import request_hash
from ..domain.limits import EARNED, points_used
from ..domain.membership import FriendReward, Purchased, reward_friend
from ..domain.membership import purchase as earn
from ..domain.orders import OrderRecord
from ..domain.outcomes import MemberNow, PurchaseRecorded
from ..domain.program import Program
from ..store.members import MemberStore
from ..store.orders import OrderStore
from ..store.program import ProgramCache
from ..store.unit_of_work import UnitOfWork
from .shared import issuance, limits, writes
from .shared.writes import Answer, Idem, Present, run_write, stage_answer


class Needs(writes.Needs, issuance.Needs, limits.Needs, Protocol):
    programs: ProgramCache
    members: MemberStore
    orders: OrderStore

    @property
    def new_id(self) -> Callable[[datetime], str]: ...


class _Order(Struct, frozen=True):
    member_id: str
    request: PurchaseRequest
    fingerprint: str  # of the request: the same order id with another body is refused


def purchase(
    d: Needs,
    member_id: str,
    request: PurchaseRequest,
    idem: Idem | None,
    present: Present[PurchaseRecorded],
) -> Answer:
    program = d.programs.require()
    order = _Order(member_id, request, request_hash("purchase", request.model_dump(mode="json")))
    skip: dict[str, str] = {}  # rule coupons refused in an earlier attempt: the retry goes without
    return run_write(d, idem, partial(_record, d, program, order, skip, idem, present))


def _record(
    d: Needs,
    program: Program,
    order: _Order,
    skip: dict[str, str],
    idem: Idem | None,
    present: Present[PurchaseRecorded],
) -> Answer:
    request, member_id, now = order.request, order.member_id, d.clock()
    cart = basket_of(program, request, now)
    member, account = d.members.load_account(member_id, now)
    today = now.astimezone(program.zone).date()
    used = limits.usage_today(d, program.limits, member_id, today, EARNED)
    lot_id = d.new_id(now)
    purchased = earn(
        program,
        member,
        account,
        cart,
        order_id=request.order_id,
        earned_today=used.earned,
        lot_id=lot_id,
        now=now,
    )
    reward = reward_friend(
        program, member, account, request.order_id, request.amount, now, lambda: d.new_id(now)
    )
    uow = d.uow()
    issued = _stage_coupons(d, uow, member_id, purchased, reward, now, skip)
    d.members.stage_account(
        uow, member, account, zone=program.zone, now=now, new_id=lambda: d.new_id(now)
    )
    spent = points_used(program.limits, purchased.earning.points)
    d.usage.stage(uow, member_id, today, program.zone, spent)
    body = present(
        PurchaseRecorded(
            request.order_id,
            purchased,
            program.version or 0,
            MemberNow(member, program, now),
            issued,
            dict(skip),
            reward.points if reward else 0,
        )
    )
    _stage_order(d, uow, program, order, purchased, lot_id, body, now)
    home = d.orders.order_home(member_id, request.order_id)
    return _commit(d, uow, order, skip, stage_answer(d, uow, idem, Answer(body, True, home=home)))


def _stage_coupons(
    d: Needs,
    uow: UnitOfWork,
    member_id: str,
    purchased: Purchased,
    reward: FriendReward | None,
    now: datetime,
    skip: dict[str, str],
) -> list[Coupon]:
    """The new tier's welcome coupon and the friend's referral coupon, each unless refused."""
    wanted = [(purchased.reached.welcome_coupon, "tier_up")]
    if reward is not None:
        wanted.append((reward.coupon, "referral"))
    staged = [
        issuance.stage_rule_coupon(d, uow, member_id, template_id, now, source, skip)
        for template_id, source in wanted
    ]
    return [coupon for coupon in staged if coupon is not None]


def _stage_order(
    d: Needs,
    uow: UnitOfWork,
    program: Program,
    order: _Order,
    purchased: Purchased,
    lot_id: str,
    body: str,
    now: datetime,
) -> None:
    request = order.request
    record = OrderRecord(
        order_id=request.order_id,
        amount=request.amount,
        currency=request.currency,
        points_earned=purchased.earning.points,
        lot_id=lot_id if purchased.status != "none" else None,
        refunded_amount=0,
        points_clawed_back=0,
        program_version=program.version or 0,
        request_hash=order.fingerprint,
        response=body,
        occurred_at=purchased.occurred_at,
        growth_earned=purchased.growth,
        recorded_at=now,
    )
    d.orders.stage_new_order(uow, order.member_id, record)


def _commit(
    d: Needs, uow: UnitOfWork, order: _Order, skip: dict[str, str], answer: Answer
) -> Answer:
    try:
        uow.commit()
    except WriteRejected as rejected:
        if rejected.broke(Rule.ORDER_IS_NEW) and not rejected.broke(Rule.IDEMPOTENCY_KEY_IS_NEW):
            return _recorded(d, order)
        skip_refused_rule_coupons(rejected, skip)  # retry without the coupon refused
        raise
    return answer


def _recorded(d: Needs, order: _Order) -> Answer:
    """The order recorded already (a retry raced the first): its first answer, if it is the
    same request."""
    found = d.orders.order(order.member_id, order.request.order_id)
    if found is None:
        raise OrderConflict("the order changed while recording it", param="order_id")
    if found.request_hash != order.fingerprint:
        raise OrderConflict(
            f"order {order.request.order_id} was already recorded with a different body",
            param="order_id",
        )
    return Answer(found.response, created=True, replayed=True)
