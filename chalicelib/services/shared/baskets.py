"""A request's basket fields as the domain's basket, checked against the program."""

from __future__ import annotations

from datetime import datetime

from ...contract.common import ItemIn
from ...domain.earning import Basket, BasketItem, basket_for
from ...domain.program import Program


def basket(
    program: Program,
    amount: int,
    currency: str,
    items: list[ItemIn],
    now: datetime,
    occurred_at: datetime | None = None,
) -> Basket:
    return basket_for(
        program,
        amount=amount,
        currency=currency,
        items=[
            BasketItem(amount=i.amount, quantity=i.quantity, sku=i.sku, category=i.category)
            for i in items
        ],
        now=now,
        occurred_at=occurred_at,
    )
