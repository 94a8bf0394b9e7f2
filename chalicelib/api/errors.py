"""The one error table: how each domain error is shown over HTTP, as Stripe shows its errors:
`{"error": {"type", "code", "message", "param"}}` with a status. The nearest class wins."""

from __future__ import annotations

import json
from typing import Any

from ..domain import errors as e

# (status, type) by class; a subclass not listed takes its nearest listed ancestor's.
TABLE: dict[type[e.DomainError], tuple[int, str]] = {
    e.DomainError: (400, "invalid_request_error"),
    e.ValidationFailed: (422, "invalid_request_error"),
    e.IdempotencyKeyReused: (422, "invalid_request_error"),
    e.PayloadTooLarge: (413, "invalid_request_error"),
    e.UnsupportedMediaType: (415, "invalid_request_error"),
    e.MethodNotAllowed: (405, "invalid_request_error"),
    e.Unauthenticated: (401, "authentication_error"),
    e.Forbidden: (403, "authentication_error"),
    e.NotFound: (404, "invalid_request_error"),
    e.Conflict: (409, "state_error"),
    e.ProgramNotConfigured: (409, "state_error"),
    e.RateLimited: (429, "rate_limit_error"),
    e.InternalError: (500, "api_error"),
    e.Unavailable: (503, "api_error"),
}


def status_of(error: e.DomainError) -> tuple[int, str]:
    for cls in type(error).__mro__:
        if cls in TABLE:
            return TABLE[cls]
    raise AssertionError("DomainError is in the table")


def body_of(error: e.DomainError, extra: dict[str, Any] | None = None) -> bytes:
    _, kind = status_of(error)
    body = {"type": kind, "code": error.code, "message": error.message, "param": error.param}
    body.update(extra or {})
    return json.dumps({"error": body}).encode()
