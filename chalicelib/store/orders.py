"""A member's orders and point redemptions: the business keys that make a purchase or a
redemption happen once, with the first answer each gave."""

from __future__ import annotations

from ..domain.guards import Guard, Rule
from ..domain.orders import OrderRecord, RedemptionRecord
from ..domain.points import Lot
from . import keys
from .idempotency import AnswerHome
from .models import Allocation, Item, OrderItem, RedemptionItem
from .unit_of_work import UnitOfWork, dynamodb


def _order_from(item: OrderItem) -> OrderRecord:
    return OrderRecord(
        order_id=item.order_id,
        amount=int(item.amount),
        currency=item.currency,
        points_earned=int(item.points_earned),
        lot_id=item.lot_id,
        refunded_amount=int(item.refunded_amount),
        points_clawed_back=int(item.points_clawed_back),
        program_version=int(item.program_version),
        request_hash=item.request_hash,
        response=item.response,
        occurred_at=item.occurred_at,
        growth_earned=int(item.growth_earned or 0),
        growth_clawed_back=int(item.growth_clawed_back or 0),
        recorded_at=item.recorded_at,
        refunded_at=item.refunded_at,
    )


def _redemption_from(item: RedemptionItem) -> RedemptionRecord:
    return RedemptionRecord(
        order_id=item.order_id,
        points=int(item.points),
        discount_amount=int(item.discount_amount),
        allocations=[(a.lot_id, int(a.points), int(a.returned)) for a in item.allocations],
        request_hash=item.request_hash,
        response=item.response,
        created_at=item.created_at,
        lots={
            a.lot_id: Lot(
                lot_id=a.lot_id,
                points=int(a.lot_points),
                remaining=0,
                earned_at=a.earned_at,
                expires_at=a.expires_at,
                vests_at=None,
                pending=False,
                order_id=a.lot_order_id,
            )
            for a in item.allocations
            if a.lot_points is not None and a.earned_at is not None
        },
    )


def _allocation(lot_id: str, taken: int, back: int, lot: Lot | None) -> Allocation:
    allocation = Allocation(lot_id=lot_id, points=taken, returned=back)
    if lot is not None:
        allocation.lot_points = lot.points
        allocation.earned_at = lot.earned_at
        allocation.expires_at = lot.expires_at
        allocation.lot_order_id = lot.order_id
    return allocation


def _order_item(member_id: str, order: OrderRecord) -> OrderItem:
    return OrderItem(
        pk=keys.member_pk(member_id),
        sk=keys.order_sk(order.order_id),
        order_id=order.order_id,
        amount=order.amount,
        currency=order.currency,
        points_earned=order.points_earned,
        lot_id=order.lot_id,
        refunded_amount=order.refunded_amount,
        points_clawed_back=order.points_clawed_back,
        program_version=order.program_version,
        request_hash=order.request_hash,
        response=order.response,
        occurred_at=order.occurred_at,
        growth_earned=order.growth_earned,
        growth_clawed_back=order.growth_clawed_back,
        recorded_at=order.recorded_at,
        refunded_at=order.refunded_at,
    )


class OrderStore:
    def order_home(self, member_id: str, order_id: str) -> AnswerHome:
        return AnswerHome(keys.member_pk(member_id), keys.order_sk(order_id))

    def redemption_home(self, member_id: str, order_id: str) -> AnswerHome:
        return AnswerHome(keys.member_pk(member_id), keys.redemption_sk(order_id))

    def order_and_redemption(
        self, member_id: str, order_id: str
    ) -> tuple[OrderRecord | None, RedemptionRecord | None]:
        pk = keys.member_pk(member_id)
        order = redemption = None
        with dynamodb():
            for item in Item.batch_get(
                [(pk, keys.order_sk(order_id)), (pk, keys.redemption_sk(order_id))]
            ):
                if isinstance(item, OrderItem):
                    order = _order_from(item)
                elif isinstance(item, RedemptionItem):
                    redemption = _redemption_from(item)
        return order, redemption

    def order(self, member_id: str, order_id: str) -> OrderRecord | None:
        return self.order_and_redemption(member_id, order_id)[0]

    def redemption(self, member_id: str, order_id: str) -> RedemptionRecord | None:
        return self.order_and_redemption(member_id, order_id)[1]

    def stage_new_order(self, uow: UnitOfWork, member_id: str, order: OrderRecord) -> None:
        """A purchase is unique by (member, order id) inside the same transaction (the figures
        count it off the stream, on the brand-local day of its `recorded_at`)."""
        item = _order_item(member_id, order)
        uow.put(Guard(Rule.ORDER_IS_NEW), item, OrderItem.pk.does_not_exist())

    def stage_order_refund(
        self, uow: UnitOfWork, member_id: str, order: OrderRecord, refunded_before: int
    ) -> None:
        uow.put(
            Guard(Rule.ORDER_REFUNDED_AS_READ),
            _order_item(member_id, order),
            OrderItem.refunded_amount == refunded_before,
        )

    def stage_redemption(
        self, uow: UnitOfWork, member_id: str, record: RedemptionRecord, *, is_new: bool
    ) -> None:
        item = RedemptionItem(
            pk=keys.member_pk(member_id),
            sk=keys.redemption_sk(record.order_id),
            order_id=record.order_id,
            points=record.points,
            discount_amount=record.discount_amount,
            allocations=[
                _allocation(lot_id, taken, back, record.lots.get(lot_id))
                for lot_id, taken, back in record.allocations
            ],
            request_hash=record.request_hash,
            response=record.response,
            created_at=record.created_at,
        )
        # An order gets one points redemption; later changes are guarded by the member version.
        if is_new:
            uow.put(Guard(Rule.REDEMPTION_IS_NEW), item, RedemptionItem.pk.does_not_exist())
        else:
            uow.put(Guard(Rule.REDEMPTION_EXISTS), item, RedemptionItem.pk.exists())
