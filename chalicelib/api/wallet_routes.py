"""Stored value (储值): the member's wallet (storefront) and freezing it (admin)."""

from ..contract.common import as_json
from ..contract.wallet import (
    EntryQuery,
    FreezeRequest,
    TopupOut,
    TopupRequest,
    WalletEntryPage,
    WalletOut,
    WalletPaymentOut,
    WalletPaymentRequest,
    WalletRefundOut,
    WalletRefundRequest,
    WithdrawalOut,
    WithdrawalRequest,
    entries_out,
    payment_out,
    topup_out,
    wallet_out,
    wallet_refund_out,
    withdrawal_out,
)
from ..services import wallet
from ..services.deps import deps
from ..services.shared.writes import Answer
from .http import Call, endpoint
from .routes import M, _member

W = f"{M}/wallet"
ADMIN_W = "/v1/admin/members/{member_id}/wallet"


@endpoint(
    W,
    "GET",
    operation="getWallet",
    summary="The member's stored value: balance, principal, bonus, currency, frozen",
    response=WalletOut,
    errors=(404,),
)
def get_wallet(call: Call, member_id: str) -> WalletOut:
    return wallet_out(wallet.read(deps(), _member(member_id)))


@endpoint(
    f"{W}/entries",
    "GET",
    operation="listWalletEntries",
    summary="Every change of the wallet, newest first, with its split and running balance",
    query=EntryQuery,
    response=WalletEntryPage,
    errors=(404,),
)
def wallet_entries(call: Call, member_id: str) -> WalletEntryPage:
    found = wallet.entries(deps(), _member(member_id), call.query.limit, call.query.cursor)
    return entries_out(found)


@endpoint(
    f"{W}/topups",
    "POST",
    operation="topUpWallet",
    summary="Record a top-up after your payment succeeded, once per payment_id, with the "
    "program's top-up bonus (储值送)",
    body=TopupRequest,
    response=TopupOut,
    status=201,
    errors=(404, 409),
)
def top_up(call: Call, member_id: str) -> Answer:
    return wallet.top_up(deps(), _member(member_id), call.body, call.idem, as_json(topup_out))


@endpoint(
    f"{W}/payments",
    "POST",
    operation="payFromWallet",
    summary="Pay an order from the wallet, once per order_id; never below zero",
    body=WalletPaymentRequest,
    response=WalletPaymentOut,
    status=201,
    errors=(404, 409),
)
def pay(call: Call, member_id: str) -> Answer:
    return wallet.pay(deps(), _member(member_id), call.body, call.idem, as_json(payment_out))


@endpoint(
    f"{W}/refunds",
    "POST",
    operation="refundToWallet",
    summary="Give back all or part of a wallet payment, to the parts it came from",
    body=WalletRefundRequest,
    response=WalletRefundOut,
    status=201,
    errors=(404, 409),
)
def refund(call: Call, member_id: str) -> Answer:
    return wallet.refund(
        deps(), _member(member_id), call.body, call.idem, as_json(wallet_refund_out)
    )


@endpoint(
    f"{W}/withdrawals",
    "POST",
    operation="withdrawFromWallet",
    summary="Pay back unused principal of a top-up (the card is cancelled), taking back its "
    "bonus first",
    body=WithdrawalRequest,
    response=WithdrawalOut,
    status=201,
    errors=(404, 409),
)
def withdraw(call: Call, member_id: str) -> Answer:
    return wallet.withdraw(
        deps(), _member(member_id), call.body, call.idem, as_json(withdrawal_out)
    )


@endpoint(
    f"{ADMIN_W}/freeze",
    "POST",
    operation="freezeWallet",
    summary="Freeze a wallet (payments and withdrawals refused with 409 wallet_frozen; top-ups "
    "and refunds still recorded)",
    scope="admin",
    body=FreezeRequest,
    response=WalletOut,
    errors=(404,),
)
def freeze(call: Call, member_id: str) -> Answer:
    return wallet.set_frozen(
        deps(), _member(member_id), True, call.body, call.idem, as_json(wallet_out)
    )


@endpoint(
    f"{ADMIN_W}/unfreeze",
    "POST",
    operation="unfreezeWallet",
    summary="Unfreeze a wallet",
    scope="admin",
    body=FreezeRequest,
    response=WalletOut,
    errors=(404,),
)
def unfreeze(call: Call, member_id: str) -> Answer:
    return wallet.set_frozen(
        deps(), _member(member_id), False, call.body, call.idem, as_json(wallet_out)
    )
