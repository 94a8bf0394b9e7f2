"""Business keys that may be used once (a refund id, an issue id, an exchange id, this year's
birthday gift), each with the answer it got, written in the transaction it guards."""

from __future__ import annotations

from ..domain.guards import Guard, Rule
from . import keys
from .idempotency import AnswerHome
from .models import OnceItem
from .unit_of_work import UnitOfWork, get_or_none


class OnceStore:
    def home(self, member_id: str, kind: str, key: str) -> AnswerHome:
        """Where the answer to this key is kept (for an idempotency record to point at)."""
        return AnswerHome(keys.member_pk(member_id), keys.once_sk(kind, key))

    def get(self, member_id: str, kind: str, key: str) -> tuple[str, str] | None:
        """(request hash, stored answer) if the key was used."""
        item = get_or_none(OnceItem, keys.member_pk(member_id), keys.once_sk(kind, key))
        return None if item is None else (item.request_hash, item.response)

    def stage(
        self, uow: UnitOfWork, member_id: str, kind: str, key: str, request_hash: str, body: str
    ) -> AnswerHome:
        """The key used, with its answer; returns where that answer is kept."""
        item = OnceItem(
            pk=keys.member_pk(member_id),
            sk=keys.once_sk(kind, key),
            request_hash=request_hash,
            response=body,
        )
        uow.put(Guard(Rule.ONCE_IS_NEW, kind), item, OnceItem.pk.does_not_exist())
        return self.home(member_id, kind, key)
