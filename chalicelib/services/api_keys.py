"""API keys: created by the operator's CLI, checked by the authorizer on every call."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Literal

from ..store.api_keys import ApiKeyRecord
from .deps import Deps

Scope = Literal["storefront", "admin"]
PREFIX: dict[str, str] = {"storefront": "lk_sf_", "admin": "lk_ad_"}
CACHE_FOR = timedelta(seconds=60)
# Live keys only: an unknown key is looked up again each time, so a key created a moment ago
# works at once, and no one can fill the cache with made-up keys.
_cache: dict[str, tuple[datetime, ApiKeyRecord]] = {}


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(deps: Deps, scope: Scope, label: str | None = None) -> tuple[str, ApiKeyRecord]:
    """A new key (shown once; only its digest is stored)."""
    key = PREFIX[scope] + secrets.token_urlsafe(24)
    now = deps.clock()
    key_id = f"key_{deps.new_id(now)}"
    deps.api_keys.create(digest(key), key_id, scope, label, now)
    return key, ApiKeyRecord(key_id, scope, label, now, revoked=False)


def authenticate(deps: Deps, key: str) -> ApiKeyRecord | None:
    """The key's record if it is live; cached briefly in the warm Lambda, like API Gateway does."""
    hashed = digest(key)
    now = deps.clock()
    hit = _cache.get(hashed)
    if hit is not None and now - hit[0] < CACHE_FOR:
        return hit[1]
    record = deps.api_keys.find(hashed)
    if record is None or record.revoked:
        _cache.pop(hashed, None)
        return None
    if len(_cache) > 1000:
        _cache.clear()
    _cache[hashed] = (now, record)
    return record


def forget_cached() -> None:
    _cache.clear()
