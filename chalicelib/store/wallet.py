"""The wallet aggregate in the table: the wallet (`W` in the member's partition), its entries
(`WALLET#<seq>`), its payments (`WPAY#<order id>`) and its top-ups (`TOPUP#<payment id>`).

Every write stages the wallet at its next version (guarded by the version read), its new
entries (each written once) and the business record: one transaction, so a part can never go
below zero under concurrency and nothing is half-written. The brand's totals follow from the
stream (`aggregates.figures`), never in the member's transaction.
"""

from __future__ import annotations

import json
from datetime import datetime

from ..domain.errors import MemberMerged
from ..domain.guards import Guard, Rule
from ..domain.wallet import Entry, Grant, Payment, Topup, Wallet
from . import cursors, keys
from .idempotency import AnswerHome
from .models import (
    Item,
    MemberItem,
    TopupItem,
    WalletEntryItem,
    WalletItem,
    WalletPaymentItem,
)
from .unit_of_work import UnitOfWork, dynamodb, get_or_none


def _grants(raw: str) -> list[Grant]:
    out = []
    for g in json.loads(raw):
        expires = datetime.fromisoformat(g["expires_at"]) if g.get("expires_at") else None
        out.append(
            Grant(
                g["payment_id"],
                g["given"],
                g["left"],
                expires,
                g.get("expired", 0),
                g.get("taken", 0),
                g.get("recovered", 0),
            )
        )
    return out


def _grants_json(grants: list[Grant]) -> str:
    return json.dumps(
        [
            {
                "payment_id": g.payment_id,
                "given": g.given,
                "left": g.left,
                "expires_at": g.expires_at.isoformat() if g.expires_at else None,
                "expired": g.expired,
                "taken": g.taken,
                "recovered": g.recovered,
            }
            for g in grants
        ],
        separators=(",", ":"),
    )


def wallet_from(item: WalletItem) -> Wallet:
    return Wallet(
        principal=int(item.principal),
        bonus=int(item.bonus),
        frozen=bool(item.frozen),
        frozen_reason=item.frozen_reason,
        seq=int(item.seq),
        version=int(item.version),
        grants=_grants(item.grants),
    )


def entry_from(item: WalletEntryItem) -> Entry:
    return Entry(
        seq=int(item.seq),
        kind=item.kind,
        principal_delta=int(item.principal_delta),
        bonus_delta=int(item.bonus_delta),
        principal_after=int(item.principal_after),
        bonus_after=int(item.bonus_after),
        reason=item.reason,
        reference=item.reference,
        created_at=item.created_at,
        channel=item.channel,
    )


class WalletStore:
    # -- reads ----------------------------------------------------------------------------

    def load(
        self, member_id: str, *, merged_ok: bool = False
    ) -> tuple[bool, Wallet | None, str | None]:
        """(the member exists, its wallet or None, the wallet's currency): one BatchGetItem.
        A member merged into another is `MemberMerged` (unless `merged_ok`: the merge itself,
        its history)."""
        pk = keys.member_pk(member_id)
        exists, wallet, currency = False, None, None
        with dynamodb():
            for item in Item.batch_get([(pk, keys.MEMBER_SK), (pk, keys.WALLET_SK)]):
                if isinstance(item, MemberItem):
                    if item.merged_into is not None and not merged_ok:  # its money moved on
                        raise MemberMerged(member_id, item.merged_into)
                    exists = True
                elif isinstance(item, WalletItem):
                    wallet, currency = wallet_from(item), item.currency
        return exists, wallet, currency

    def topup(self, payment_id: str) -> Topup | None:
        item = get_or_none(TopupItem, keys.topup_pk(payment_id), keys.TOPUP_SK)
        if item is None:
            return None
        return Topup(
            payment_id=item.payment_id,
            member_id=item.member_id,
            amount=int(item.amount),
            bonus=int(item.bonus),
            withdrawn=int(item.withdrawn),
            bonus_taken=int(item.bonus_taken),
            version=int(item.version),
            request_hash=item.request_hash,
            response=item.response,
            created_at=item.created_at,
        )

    def payment(self, member_id: str, order_id: str) -> Payment | None:
        item = get_or_none(
            WalletPaymentItem, keys.member_pk(member_id), keys.wallet_payment_sk(order_id)
        )
        if item is None:
            return None
        return Payment(
            order_id=item.order_id,
            amount=int(item.amount),
            principal=int(item.principal),
            bonus=int(item.bonus),
            drawn=[(str(p), int(n)) for p, n in json.loads(item.drawn)],
            refunded=int(item.refunded),
            bonus_back=int(item.bonus_back),
            returned={str(k): int(v) for k, v in json.loads(item.returned).items()},
            version=int(item.version),
            request_hash=item.request_hash,
            response=item.response,
            created_at=item.created_at,
        )

    def page(
        self, member_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Entry], str | None]:
        """Entries newest first; the cursor is the last sequence number shown, encoded."""
        before = cursors.decode(cursor) if cursor else None
        if before is not None and before <= 1:
            return [], None
        upper = (
            keys.wallet_entry_sk(before - 1)
            if before is not None
            else keys.WALLET_ENTRY_PREFIX + "~"
        )
        with dynamodb():
            items = list(
                WalletEntryItem.query(
                    keys.member_pk(member_id),
                    WalletEntryItem.sk.between(keys.WALLET_ENTRY_PREFIX, upper),
                    scan_index_forward=False,
                    limit=limit + 1,
                )
            )
        entries = [entry_from(item) for item in items]
        page, more = entries[:limit], len(entries) > limit
        return page, (cursors.encode(page[-1].seq) if more and page else None)

    def all_entries(self, member_id: str) -> list[Entry]:
        """Every entry, oldest first (reconciliation)."""
        with dynamodb():
            return [
                entry_from(item)
                for item in WalletEntryItem.query(
                    keys.member_pk(member_id),
                    WalletEntryItem.sk.startswith(keys.WALLET_ENTRY_PREFIX),
                )
            ]

    # -- staged writes --------------------------------------------------------------------

    def stage(
        self,
        uow: UnitOfWork,
        member_id: str,
        wallet: Wallet,
        *,
        currency: str,
        now: datetime,
        created_at: datetime | None = None,
    ) -> None:
        """The wallet at its next version (only if no one wrote it since it was read), and each
        of this write's entries once."""
        expected = wallet.version
        wallet.version += 1
        item = WalletItem(
            pk=keys.member_pk(member_id),
            sk=keys.WALLET_SK,
            member_id=member_id,
            currency=currency,
            principal=wallet.principal,
            bonus=wallet.bonus,
            frozen=wallet.frozen,
            frozen_reason=wallet.frozen_reason,
            seq=wallet.seq,
            version=wallet.version,
            grants=_grants_json(wallet.grants),
            created_at=created_at or now,
            updated_at=now,
        )
        if expected == 0:
            uow.put(Guard(Rule.WALLET_IS_NEW), item, WalletItem.pk.does_not_exist())
        else:
            uow.put(Guard(Rule.WALLET_VERSION), item, WalletItem.version == expected)
        for entry in wallet.entries:
            entry_item = WalletEntryItem(
                pk=keys.member_pk(member_id),
                sk=keys.wallet_entry_sk(entry.seq),
                member_id=member_id,
                seq=entry.seq,
                kind=entry.kind,
                principal_delta=entry.principal_delta,
                bonus_delta=entry.bonus_delta,
                principal_after=entry.principal_after,
                bonus_after=entry.bonus_after,
                reason=entry.reason,
                reference=entry.reference,
                channel=entry.channel,
                currency=currency,
                created_at=entry.created_at,
            )
            uow.put(
                Guard(Rule.WALLET_ENTRY_IS_NEW, str(entry.seq)),
                entry_item,
                WalletEntryItem.pk.does_not_exist(),
            )
        wallet.entries = []

    def stage_topup(self, uow: UnitOfWork, topup: Topup) -> AnswerHome:
        """A new top-up (its payment id never used before), or one withdrawn from since it was
        read (guarded by its version). Returns where its first answer is kept."""
        item = TopupItem(
            pk=keys.topup_pk(topup.payment_id),
            sk=keys.TOPUP_SK,
            payment_id=topup.payment_id,
            member_id=topup.member_id,
            amount=topup.amount,
            bonus=topup.bonus,
            withdrawn=topup.withdrawn,
            bonus_taken=topup.bonus_taken,
            version=topup.version,
            request_hash=topup.request_hash,
            response=topup.response,
            created_at=topup.created_at,
        )
        if topup.version == 1:
            uow.put(Guard(Rule.TOPUP_IS_NEW), item, TopupItem.pk.does_not_exist())
        else:
            uow.put(Guard(Rule.TOPUP_VERSION), item, TopupItem.version == topup.version - 1)
        return AnswerHome(item.pk, item.sk)

    def stage_payment(self, uow: UnitOfWork, member_id: str, payment: Payment) -> AnswerHome:
        item = WalletPaymentItem(
            pk=keys.member_pk(member_id),
            sk=keys.wallet_payment_sk(payment.order_id),
            order_id=payment.order_id,
            amount=payment.amount,
            principal=payment.principal,
            bonus=payment.bonus,
            drawn=json.dumps(payment.drawn, separators=(",", ":")),
            refunded=payment.refunded,
            bonus_back=payment.bonus_back,
            returned=json.dumps(payment.returned, separators=(",", ":"), sort_keys=True),
            version=payment.version,
            request_hash=payment.request_hash,
            response=payment.response,
            created_at=payment.created_at,
        )
        if payment.version == 1:
            uow.put(Guard(Rule.WALLET_PAYMENT_IS_NEW), item, WalletPaymentItem.pk.does_not_exist())
        else:
            uow.put(
                Guard(Rule.WALLET_PAYMENT_VERSION),
                item,
                WalletPaymentItem.version == payment.version - 1,
            )
        return AnswerHome(item.pk, item.sk)
