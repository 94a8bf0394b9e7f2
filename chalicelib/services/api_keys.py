"""API keys: created by the operator's CLI, checked by the authorizer on every call."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Literal

from ..store.api_keys import ApiKeyRecord
from .deps import Deps

Scope = Literal["storefront", "admin"]
PREFIX: dict[str, str] = {"storefront": "lk_sf_", "admin": "lk_ad_"}
_CACHE_SECONDS = 60.0
_cache: dict[str, tuple[float, ApiKeyRecord | None]] = {}


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
    hit = _cache.get(hashed)
    if hit is not None and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return hit[1]
    record = deps.api_keys.find(hashed)
    if record is not None and record.revoked:
        record = None
    if len(_cache) > 1000:
        _cache.clear()
    _cache[hashed] = (time.monotonic(), record)
    return record


def forget_cached() -> None:
    _cache.clear()
