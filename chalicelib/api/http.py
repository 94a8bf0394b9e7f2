"""The edge of every route: parse and validate, call one service, serialise, map errors.

Chalice turns any exception that is not a ChaliceViewError into a 500 before middleware sees it,
so the mapping lives here, in the decorator every view wears.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from chalice import Response
from chalice.app import Request
from pydantic import BaseModel, ValidationError

from ..domain.errors import (
    DomainError,
    InvalidJson,
    MissingField,
    PayloadTooLarge,
    Unavailable,
    UnknownField,
    ValidationFailed,
)
from ..services.deps import deps
from ..services.writes import Answer, Idem, request_hash
from ..store.unit_of_work import StoreUnavailable
from .blueprint import api, api_key_auth

log = logging.getLogger("loyalty.api")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
JSON: dict[str, str | list[str]] = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class RouteSpec:
    """What the OpenAPI document says of a route; filled in by `endpoint`."""

    path: str
    method: str
    summary: str
    scope: str | None
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    query: type[BaseModel] | None
    writes: bool
    errors: tuple[int, ...] = field(default=())


ROUTES: list[RouteSpec] = []


@dataclass(frozen=True)
class Call:
    """What a view gets: the validated body and query, and the idempotency envelope."""

    body: Any
    query: Any
    principal: str
    idem: Idem | None


def error_response(exc: DomainError, extra: dict[str, Any] | None = None) -> Response:
    body = {"type": exc.type, "code": exc.code, "message": exc.message, "param": exc.param}
    if extra:
        body.update(extra)
    return Response(body=json.dumps({"error": body}), status_code=exc.status, headers=JSON)


def _validation_error(exc: ValidationError, where: str) -> DomainError:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return InvalidJson(f"the body is not valid JSON: {first['msg']}")
    param = ".".join(str(part) for part in first["loc"]) or None
    if first["type"] == "extra_forbidden":
        message = f"unknown field {param!r}: {where} accepts only the documented fields"
        return UnknownField(message, param=param)
    if first["type"] == "missing":
        return MissingField(f"{param} is required", param=param)
    message = first["msg"].removeprefix("Value error, ")
    return ValidationFailed(f"{param}: {message}" if param else message, param=param)


def _parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    raw = request.raw_body or b""
    if len(raw) > deps().settings.max_body_bytes:
        raise PayloadTooLarge(
            f"the body is {len(raw)} bytes; at most {deps().settings.max_body_bytes} are accepted"
        )
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as exc:
        raise _validation_error(exc, "the body") from exc


def _parse_query(request: Request, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(dict(request.query_params or {}))
    except ValidationError as exc:
        raise _validation_error(exc, "the query string") from exc


def _idem(request: Request, principal: str, operation: str, body: BaseModel | None) -> Idem | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed(
            "Idempotency-Key must be 1 to 255 visible ASCII characters", param="Idempotency-Key"
        )
    payload = body.model_dump(mode="json") if body is not None else None
    return Idem(principal, key, request_hash(operation, payload))


def _respond(result: Answer | BaseModel, status: int) -> Response:
    if isinstance(result, Answer):
        headers: dict[str, str | list[str]] = dict(JSON)
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(body=result.body, status_code=result.status, headers=headers)
    return Response(body=result.model_dump_json(), status_code=status, headers=JSON)


def endpoint(
    path: str,
    method: str,
    *,
    summary: str,
    scope: str | None = "storefront",
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    query: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
) -> Callable[[Callable[..., Answer | BaseModel]], Callable[..., Response]]:
    writes = method in {"POST", "PUT", "PATCH", "DELETE"}
    ROUTES.append(
        RouteSpec(path, method, summary, scope, body, response, status, query, writes, errors)
    )

    def wrap(handler: Callable[..., Answer | BaseModel]) -> Callable[..., Response]:
        @wraps(handler)
        def view(**params: str) -> Response:
            request = api.current_request
            try:
                parsed = _parse_body(request, body) if body is not None else None
                parsed_query = _parse_query(request, query) if query is not None else None
                context = (request.context or {}).get("authorizer") or {}
                principal = context.get("key_id") or context.get("principalId") or "anonymous"
                operation = f"{method} {path.format(**params)}"
                idem = _idem(request, principal, operation, parsed) if writes else None
                result = handler(Call(parsed, parsed_query, principal, idem), **params)
                return _respond(result, status)
            except DomainError as exc:
                return error_response(exc)
            except StoreUnavailable:
                log.exception("store unavailable")
                return error_response(
                    Unavailable("the store did not answer; retry with the same key")
                )

        authorizer = None if scope is None else api_key_auth
        api.route(path, methods=[method], authorizer=authorizer)(view)
        return view

    return wrap
