"""Page cursors over a member's numbered history (the ledger, the wallet's entries): the last
sequence number shown, encoded URL-safe; opaque to callers, checked when it comes back."""

from __future__ import annotations

import base64
import binascii
import json

from ..domain.errors import ValidationFailed


def encode(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": seq}).encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("cursor is not one this API returned", param="cursor") from exc
    if not isinstance(value, int) or value < 0:
        raise ValidationFailed("cursor is not one this API returned", param="cursor")
    return value


def encode_scan(kind: str, after: str) -> str:
    """Where an export's scan goes on, for the next page (bound to what it exports)."""
    packed = json.dumps({"kind": kind, "after": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_scan(kind: str, cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        found = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = found["after"]
        json.loads(after)
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("cursor is not one this API returned", param="cursor") from exc
    if found.get("kind") != kind or not isinstance(after, str):
        raise ValidationFailed(f"cursor is not one of a {kind} export", param="cursor")
    return after
