"""A request's fingerprint, and when a stored first answer answers a request again."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .errors import IdempotencyKeyReused


def request_hash(operation: str, payload: Any) -> str:
    """The same operation with the same payload (keys in any order) has the same hash."""
    canonical = json.dumps([operation, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def same_request(stored_hash: str, wanted_hash: str, param: str) -> None:
    """A first answer kept under a business key (`param`) answers only the same request."""
    if stored_hash != wanted_hash:
        raise IdempotencyKeyReused(
            f"{param} was already used with a different request", param=param
        )
