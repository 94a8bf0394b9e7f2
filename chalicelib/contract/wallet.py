"""Stored value (储值): top-ups, payments, refunds, withdrawals, freezing, the entries."""

from datetime import date, datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from ..domain.outcomes import (
    ToppedUp,
    WalletEntries,
    WalletNow,
    WalletPaid,
    WalletRefunded,
    Withdrawn,
)
from ..domain.wallet import EntryKind, last_day
from .common import MAX_AMOUNT, Currency, OrderId, Request, Response

WalletAmount = Annotated[
    int, Field(gt=0, le=MAX_AMOUNT, description="minor units (cents/分), a whole number > 0")
]


class TopupRequest(Request):
    payment_id: OrderId = Field(description="your payment's id: a top-up is recorded once per id")
    amount: WalletAmount
    currency: Currency | None = Field(None, description="if sent, must be the wallet's")
    channel: str | None = Field(None, min_length=1, max_length=32)


class WalletPaymentRequest(Request):
    order_id: OrderId
    amount: WalletAmount
    currency: Currency | None = None


class WalletRefundRequest(Request):
    order_id: OrderId
    amount: WalletAmount
    refund_id: OrderId | None = Field(
        None, description="your id for this refund; a retry with it changes nothing"
    )
    currency: Currency | None = None


class WithdrawalRequest(Request):
    payment_id: OrderId = Field(description="the top-up whose unused principal is paid back")
    amount: WalletAmount = Field(description="principal paid back to the member")
    withdrawal_id: OrderId | None = Field(
        None, description="your id for this withdrawal; a retry with it changes nothing"
    )
    currency: Currency | None = None


class FreezeRequest(Request):
    reason: str = Field(min_length=1, max_length=200)


class BonusExpiryOut(Response):
    payment_id: str
    amount: int
    expires_on: date = Field(description="the last brand-local day it can be spent")


class WalletOut(Response):
    member_id: str
    balance: int = Field(description="principal + bonus, minor units")
    principal: int
    bonus: int
    currency: str
    frozen: bool
    frozen_reason: str | None = None
    bonus_expiring: list[BonusExpiryOut] = Field(
        default_factory=list, description="bonus money with a validity, soonest first"
    )


class TopupOut(Response):
    payment_id: str
    amount: int
    bonus: int
    bonus_rule: str | None = Field(description="the top-up rule that gave the bonus")
    bonus_reason: str = Field(description="why this bonus (or none), in words")
    bonus_expires_on: date | None
    wallet: WalletOut


class WalletPaymentOut(Response):
    order_id: str
    amount: int
    principal: int = Field(description="of the amount, principal spent")
    bonus: int = Field(description="of the amount, bonus spent")
    spend_order: str
    wallet: WalletOut


class WalletRefundOut(Response):
    order_id: str
    amount: int
    principal: int = Field(description="principal given back")
    bonus: int = Field(description="bonus given back (to the top-ups it came from)")
    bonus_expired: int = Field(description="of that bonus, expired since and so gone again")
    refunded_total: int
    wallet: WalletOut


class WithdrawalOut(Response):
    payment_id: str
    amount: int = Field(description="principal paid back to the member")
    bonus_taken_back: int = Field(description="that top-up's unspent bonus taken back")
    principal_kept: int = Field(
        description="principal kept for bonus money of that top-up already spent"
    )
    withdrawn_total: int
    withdrawable_now: int = Field(description="what a further withdrawal could pay back now")
    wallet: WalletOut


class WalletEntryOut(Response):
    seq: int
    kind: EntryKind
    amount: int = Field(description="change of the balance (principal + bonus)")
    principal_delta: int
    bonus_delta: int
    balance_after: int
    principal_after: int
    bonus_after: int
    reason: str
    reference: str | None = Field(
        description="the payment id (top-ups, withdrawals), the order id (payments, refunds), "
        "or the other member (merge_out, merge_in)"
    )
    channel: str | None = None
    created_at: datetime


class WalletEntryPage(Response):
    entries: list[WalletEntryOut]
    next_cursor: str | None


class EntryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200)


# -- presenters --------------------------------------------------------------------------------


def wallet_out(seen: WalletNow) -> WalletOut:
    wallet = seen.wallet
    expiring = sorted(
        (g for g in wallet.grants if g.left and g.expires_at is not None),
        key=lambda g: g.spend_key(),
    )
    return WalletOut(
        member_id=seen.member_id,
        balance=wallet.balance,
        principal=wallet.principal,
        bonus=wallet.bonus,
        currency=seen.currency,
        frozen=wallet.frozen,
        frozen_reason=wallet.frozen_reason,
        bonus_expiring=[
            BonusExpiryOut(
                payment_id=g.payment_id,
                amount=g.left,
                expires_on=last_day(g.expires_at, seen.zone),  # type: ignore[arg-type]
            )
            for g in expiring
        ],
    )


def entries_out(found: WalletEntries) -> WalletEntryPage:
    return WalletEntryPage(
        entries=[
            WalletEntryOut(
                seq=e.seq,
                kind=e.kind,
                amount=e.principal_delta + e.bonus_delta,
                principal_delta=e.principal_delta,
                bonus_delta=e.bonus_delta,
                balance_after=e.principal_after + e.bonus_after,
                principal_after=e.principal_after,
                bonus_after=e.bonus_after,
                reason=e.reason,
                reference=e.reference,
                channel=e.channel,
                created_at=e.created_at,
            )
            for e in found.entries
        ],
        next_cursor=found.next_cursor,
    )


def topup_out(done: ToppedUp) -> TopupOut:
    return TopupOut(
        payment_id=done.payment_id,
        amount=done.amount,
        bonus=done.bonus,
        bonus_rule=done.rule,
        bonus_reason=done.reason,
        bonus_expires_on=done.bonus_expires_on,
        wallet=wallet_out(done.wallet),
    )


def payment_out(done: WalletPaid) -> WalletPaymentOut:
    return WalletPaymentOut(
        order_id=done.order_id,
        amount=done.amount,
        principal=done.principal,
        bonus=done.bonus,
        spend_order=done.spend_order,
        wallet=wallet_out(done.wallet),
    )


def wallet_refund_out(done: WalletRefunded) -> WalletRefundOut:
    return WalletRefundOut(
        order_id=done.order_id,
        amount=done.amount,
        principal=done.principal,
        bonus=done.bonus,
        bonus_expired=done.bonus_expired,
        refunded_total=done.refunded_total,
        wallet=wallet_out(done.wallet),
    )


def withdrawal_out(done: Withdrawn) -> WithdrawalOut:
    return WithdrawalOut(
        payment_id=done.payment_id,
        amount=done.amount,
        bonus_taken_back=done.bonus_taken_back,
        principal_kept=done.principal_kept,
        withdrawn_total=done.withdrawn_total,
        withdrawable_now=done.withdrawable_now,
        wallet=wallet_out(done.wallet),
    )
