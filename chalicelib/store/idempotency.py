"""Idempotency records: the first answer to a key, written in the business transaction itself.

Where the write's own business record keeps the answer already (an order, a redemption, a
once-only key), the record points at it instead of copying it: the answer is stored once, and a
replay reads it from there, byte for byte."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from ..domain.guards import Guard, Rule
from . import keys
from .models import IdempotencyItem, Item
from .unit_of_work import UnitOfWork, get_or_none


class AnswerHome(Struct, frozen=True):
    """The key of a business record that keeps a first answer in its `response`."""

    pk: str
    sk: str


class StoredAnswer(Struct, frozen=True):
    request_hash: str
    created: bool
    response: str


class IdempotencyStore:
    def get(self, principal: str, key: str, now: datetime) -> StoredAnswer | None:
        item = get_or_none(
            IdempotencyItem, keys.idempotency_pk(principal, key), keys.IDEMPOTENCY_SK
        )
        if item is None:
            return None
        if item.expires_at <= now:  # TTL deletes late (up to two days): trust our own clock
            return None
        response: str | None = item.response
        if item.answer_pk is not None and item.answer_sk is not None:
            home = get_or_none(Item, item.answer_pk, item.answer_sk)
            response = getattr(home, "response", None)
        if response is None:
            return None
        return StoredAnswer(item.request_hash, bool(item.created), response)

    def stage(
        self,
        uow: UnitOfWork,
        principal: str,
        key: str,
        answer: StoredAnswer,
        expires_at: datetime,
        now: datetime,
        home: AnswerHome | None = None,
    ) -> None:
        """`home`: the record written in the same transaction that keeps `answer.response`."""
        item = IdempotencyItem(
            pk=keys.idempotency_pk(principal, key),
            sk=keys.IDEMPOTENCY_SK,
            request_hash=answer.request_hash,
            created=answer.created,
            expires_at=expires_at,
            ttl=int(expires_at.timestamp()),
        )
        if home is None:
            item.response = answer.response
        else:
            item.answer_pk, item.answer_sk = home.pk, home.sk
        # A record past its own expiry may be overwritten even if TTL has not removed it yet.
        uow.put(
            Guard(Rule.IDEMPOTENCY_KEY_IS_NEW),
            item,
            IdempotencyItem.pk.does_not_exist() | (IdempotencyItem.expires_at <= now),
        )
