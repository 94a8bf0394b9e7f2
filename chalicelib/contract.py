"""The v1 contract storefronts are promised: request and response bodies (pydantic).

Names here are the API: keep them; add fields freely. Every request refuses unknown fields, so a
client can never set points, tier or balances through a body (mass assignment).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

MAX_AMOUNT = 10**12  # minor units; anything larger is a client bug, not a purchase
OrderId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:#/-]+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. CNY")]
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT, description="minor units (cents/分)")]


class Request(BaseModel):
    # strict: "12" is not the number 12; a storefront sending strings has a bug worth seeing.
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- members ---------------------------------------------------------------------------------


class EnrollRequest(Request):
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)
    external_id: str | None = Field(None, min_length=1, max_length=128)
    birthday: date | None = None
    marketing_consent: bool = False
    channel: str | None = Field(None, max_length=32, description="web, pos, miniprogram, ...")

    @model_validator(mode="after")
    def _some_identifier(self) -> EnrollRequest:
        if not (self.phone or self.email or self.external_id):
            raise ValueError("give at least one of phone, email or external_id")
        return self


class LookupRequest(Request):
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)
    external_id: str | None = Field(None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _one_identifier(self) -> LookupRequest:
        given = [v for v in (self.phone, self.email, self.external_id) if v]
        if len(given) != 1:
            raise ValueError("give exactly one of phone, email or external_id")
        return self


class MemberOut(Response):
    member_id: str
    points_balance: int = Field(description="spendable (vested, unexpired) points")
    points_pending: int = Field(description="earned, vesting when the return window ends")
    points_debt: int = Field(description="clawed back beyond the balance; paid by later earnings")
    lifetime_points: int
    tier: str | None
    phone: str | None = Field(description="masked")
    email: str | None = Field(description="masked")
    external_id: str | None
    birthday: date | None
    marketing_consent: bool
    channel: str | None
    created_at: datetime
    updated_at: datetime


# -- checkout --------------------------------------------------------------------------------


class ItemIn(Request):
    sku: str | None = Field(None, min_length=1, max_length=64)
    category: str | None = Field(None, min_length=1, max_length=64)
    quantity: int = Field(1, ge=1, le=100_000)
    amount: Amount = Field(description="what was paid for this line, minor units")


class Basket(Request):
    amount: Amount
    currency: Currency
    items: list[ItemIn] = Field(default_factory=list, max_length=500)
    occurred_at: AwareDatetime | None = Field(None, description="default: now")

    @field_validator("items")
    @classmethod
    def _items_add_up(cls, items: list[ItemIn], info: ValidationInfo) -> list[ItemIn]:
        amount = info.data.get("amount")
        if items and amount is not None and sum(item.amount for item in items) != amount:
            raise ValueError("items must add up to amount (send shipping or fees as items)")
        return items


class QuoteRequest(Basket):
    pass


class PurchaseRequest(Basket):
    order_id: OrderId


class EarnLineOut(Response):
    rule: Literal[
        "base", "sku_bonus", "category_bonus", "campaign", "tier_multiplier", "rounding", "cap"
    ]
    description: str
    points: str = Field(description="exact contribution as a decimal string; lines add up")


class QuoteOut(Response):
    points_earned: int
    breakdown: list[EarnLineOut]
    program_version: int
    points_redeemable: int = Field(description="spendable points usable on this basket")
    redeemable_discount: int = Field(description="what those points would take off, minor units")


class PurchaseOut(Response):
    order_id: str
    points_earned: int
    points_status: Literal["pending", "vested", "none"]
    vests_at: datetime | None
    expires_at: datetime | None = Field(description="the instant the points stop being spendable")
    expires_on: date | None = Field(description="their last spendable day, brand time zone")
    breakdown: list[EarnLineOut]
    program_version: int
    member: MemberOut


class RedemptionRequest(Request):
    order_id: OrderId
    points: int = Field(gt=0, le=10**9)


class RedemptionOut(Response):
    order_id: str
    points_redeemed: int
    discount_amount: int
    currency: str
    member: MemberOut


class RefundRequest(Request):
    order_id: OrderId
    amount: int = Field(gt=0, le=MAX_AMOUNT, description="minor units refunded now")
    refund_id: OrderId | None = Field(
        None, description="your id for this refund; a retry with it changes nothing"
    )


class RefundOut(Response):
    order_id: str
    refund_amount: int
    refunded_total: int
    points_clawed_back: int
    points_returned: int = Field(description="points redeemed on the order given back")
    member: MemberOut


# -- ledger ----------------------------------------------------------------------------------


class LedgerEntryOut(Response):
    entry_id: str
    kind: Literal["earn", "vest", "redeem", "clawback", "redeem_return", "expire", "debt_repayment"]
    points: int = Field(description="change of balance + pending - debt")
    balance_delta: int
    pending_delta: int
    debt_delta: int
    balance_after: int
    pending_after: int
    debt_after: int
    reason: str
    order_id: str | None
    created_at: datetime


class LedgerPage(Response):
    entries: list[LedgerEntryOut]
    next_cursor: str | None


# -- errors ----------------------------------------------------------------------------------


class ErrorBody(Response):
    type: str
    code: str
    message: str
    param: str | None


class ErrorOut(Response):
    error: ErrorBody
