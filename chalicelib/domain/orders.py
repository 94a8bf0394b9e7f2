"""A member's orders and point redemptions as recorded: what a refund reads back, with the first
answer each gave (a retry with the same business key gets those bytes)."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct, field

from .points import Lot


class OrderRecord(Struct, frozen=True):
    order_id: str
    amount: int
    currency: str
    points_earned: int
    lot_id: str | None
    refunded_amount: int
    points_clawed_back: int
    program_version: int
    request_hash: str
    response: str
    occurred_at: datetime
    growth_earned: int = 0
    growth_clawed_back: int = 0
    recorded_at: datetime | None = None  # when the purchase was recorded (the figures' day)
    refunded_at: datetime | None = None  # when it was last refunded


class RedemptionRecord(Struct, frozen=True):
    order_id: str
    points: int
    discount_amount: int
    allocations: list[tuple[str, int, int]]  # lot_id, points taken, points returned
    request_hash: str
    response: str
    created_at: datetime
    # The terms of each lot spent from (points, earned, expiry), so that a refund can give
    # points back to a lot that was spent to nothing, and so deleted, meanwhile.
    lots: dict[str, Lot] = field(default_factory=dict)
