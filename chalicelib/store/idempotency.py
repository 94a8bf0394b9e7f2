"""Idempotency records: the first answer to a key, written in the business transaction itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.guards import Guard, Rule
from . import keys
from .models import IdempotencyItem
from .unit_of_work import UnitOfWork, get_or_none


@dataclass(frozen=True)
class StoredAnswer:
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
        return StoredAnswer(item.request_hash, bool(item.created), item.response)

    def stage(
        self,
        uow: UnitOfWork,
        principal: str,
        key: str,
        answer: StoredAnswer,
        expires_at: datetime,
        now: datetime,
    ) -> None:
        item = IdempotencyItem(
            pk=keys.idempotency_pk(principal, key),
            sk=keys.IDEMPOTENCY_SK,
            request_hash=answer.request_hash,
            created=answer.created,
            response=answer.response,
            expires_at=expires_at,
            ttl=int(expires_at.timestamp()),
        )
        # A record past its own expiry may be overwritten even if TTL has not removed it yet.
        uow.put(
            Guard(Rule.IDEMPOTENCY_KEY_IS_NEW),
            item,
            IdempotencyItem.pk.does_not_exist() | (IdempotencyItem.expires_at <= now),
        )
