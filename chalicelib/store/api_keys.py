"""API keys, stored as SHA-256 digests (the keys are 160 random bits: no slow hash needed)."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from . import keys
from .models import ApiKeyItem
from .unit_of_work import dynamodb, get_or_none


class ApiKeyRecord(Struct, frozen=True):
    key_id: str
    scope: str
    label: str | None
    created_at: datetime
    revoked: bool
    grants: tuple[str, ...] = ()  # beyond the scope: `pii:read` (an admin key's exports)


class ApiKeyStore:
    def find(self, digest: str) -> ApiKeyRecord | None:
        item = get_or_none(ApiKeyItem, keys.api_key_pk(digest), keys.API_KEY_SK)
        if item is None:
            return None
        return ApiKeyRecord(
            item.key_id,
            item.scope,
            item.label,
            item.created_at,
            bool(item.revoked),
            tuple(item.grants or ()),
        )

    def create(
        self,
        digest: str,
        key_id: str,
        scope: str,
        label: str | None,
        now: datetime,
        grants: tuple[str, ...] = (),
    ) -> None:
        item = ApiKeyItem(
            pk=keys.api_key_pk(digest),
            sk=keys.API_KEY_SK,
            key_id=key_id,
            scope=scope,
            label=label,
            created_at=now,
            grants=list(grants) or None,
        )
        with dynamodb():
            item.save(condition=ApiKeyItem.pk.does_not_exist())
