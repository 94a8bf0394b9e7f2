"""API keys: created by the operator's CLI, checked by the authorizer on every call."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal, Protocol

from ..domain.errors import ValidationFailed
from ..store.api_keys import ApiKeyRecord, ApiKeyStore
from .shared.writes import Clocked

Scope = Literal["storefront", "admin"]
Grant = Literal["pii:read"]
PREFIX: dict[str, str] = {"storefront": "lk_sf_", "admin": "lk_ad_"}
CACHE_FOR = timedelta(seconds=60)
# Live keys only: an unknown key is looked up again each time, so a key created a moment ago
# works at once, and no one can fill the cache with made-up keys.
_cache: dict[str, tuple[datetime, ApiKeyRecord]] = {}


class Needs(Clocked, Protocol):
    api_keys: ApiKeyStore

    @property
    def new_id(self) -> Callable[[datetime], str]: ...


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(
    d: Needs, scope: Scope, label: str | None = None, grants: tuple[Grant, ...] = ()
) -> tuple[str, ApiKeyRecord]:
    """A new key (shown once; only its digest is stored). `pii:read` lets an admin key's
    exports show the personal data kept in the clear (names, birthdays)."""
    if grants and scope != "admin":
        raise ValidationFailed("only an admin key takes grants", param="grant")
    key = PREFIX[scope] + secrets.token_urlsafe(24)
    now = d.clock()
    key_id = f"key_{d.new_id(now)}"
    kept = tuple(sorted(set(grants)))
    d.api_keys.create(digest(key), key_id, scope, label, now, kept)
    return key, ApiKeyRecord(key_id, scope, label, now, revoked=False, grants=kept)


def authenticate(d: Needs, key: str) -> ApiKeyRecord | None:
    """The key's record if it is live; cached briefly in the warm Lambda, like API Gateway does."""
    hashed = digest(key)
    now = d.clock()
    hit = _cache.get(hashed)
    if hit is not None and now - hit[0] < CACHE_FOR:
        return hit[1]
    record = d.api_keys.find(hashed)
    if record is None or record.revoked:
        _cache.pop(hashed, None)
        return None
    if len(_cache) > 1000:
        _cache.clear()
    _cache[hashed] = (now, record)
    return record


def forget_cached() -> None:
    _cache.clear()
