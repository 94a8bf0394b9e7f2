"""The edge of every route: parse and validate, call one service, serialise, map errors.

Chalice turns any exception that is not a ChaliceViewError into a 500 before middleware sees it,
so the mapping lives here, in the decorator every view wears.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from chalice import Response
from chalice.app import Request
from msgspec import Struct, field
from pydantic import BaseModel, ValidationError

from .. import observe
from ..domain.errors import (
    CouponLimitReached,
    CouponNotUsable,
    CouponOutOfStock,
    DomainError,
    Forbidden,
    InternalError,
    InvalidJson,
    InvalidRequest,
    MemberMerged,
    MethodNotAllowed,
    Misconfigured,
    MissingField,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    UnknownField,
    UnsupportedMediaType,
    ValidationFailed,
)
from ..domain.idempotency import request_hash
from ..services.deps import deps
from ..services.shared.writes import Answer, Idem
from .blueprint import api, api_key_auth
from .errors import body_of, status_of

log = logging.getLogger("loyalty.api")
COUPON_REFUSALS = (CouponNotUsable, CouponOutOfStock, CouponLimitReached, RateLimited)
Meter = Callable[[dict[str, Any]], dict[str, int]]
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
JSON: dict[str, str | list[str]] = {"Content-Type": "application/json"}


class RouteSpec(Struct, frozen=True):
    """What the OpenAPI document says of a route; filled in by `endpoint`."""

    path: str
    method: str
    operation: str  # the OpenAPI operationId: a generated client's method name, kept stable
    summary: str
    scope: str | None
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    query: type[BaseModel] | None
    writes: bool
    errors: tuple[int, ...] = field(default=())
    meter: Meter | None = None
    produces: str | None = None  # a body other than JSON (text/csv): the view answers it whole


ROUTES: list[RouteSpec] = []


class Call(Struct, frozen=True):
    """What a view gets: the validated body and query, and the idempotency envelope."""

    body: Any
    query: Any
    principal: str
    idem: Idem | None
    scope: str | None = None  # the caller's key: storefront or admin
    grants: frozenset[str] = frozenset()  # and what it was granted beyond: pii:read


def error_response(
    exc: DomainError,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str | list[str]] | None = None,
    status: int | None = None,
) -> Response:
    sent = {**JSON, **(headers or {})}
    code = status or status_of(exc)[0]
    return Response(body=body_of(exc, extra).decode(), status_code=code, headers=sent)


def _request_id() -> str:
    """API Gateway's request id (the one in its access logs), or the Lambda's locally."""
    request = api.current_request
    found = (request.context or {}).get("requestId") if request is not None else None
    if found:
        return str(found)
    context = api.lambda_context
    return str(getattr(context, "aws_request_id", "") or "local")


# Chalice answers a few errors itself (its body a dict with "Code"), before or after a view runs.
_CHALICE_ERRORS: dict[int, type[DomainError]] = {
    400: InvalidRequest,
    405: MethodNotAllowed,
    415: UnsupportedMediaType,
    500: InternalError,
}


@api.middleware("http")
def request_log(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """One JSON line per request (route template, status, duration, correlation id = API
    Gateway's request id) and the request's metrics flushed, whatever the view did."""
    started = time.perf_counter()
    context = event.context or {}
    observe.start(deps().settings.brand, _request_id())
    response = get_response(event)
    observe.request_line(
        str(context.get("resourcePath") or "?"),
        event.method,
        response.status_code,
        (time.perf_counter() - started) * 1000,
        key_id=(context.get("authorizer") or {}).get("key_id"),
    )
    observe.flush()
    return response


@api.middleware("http")
def errors_in_the_api_shape(
    event: Request, get_response: Callable[[Request], Response]
) -> Response:
    """Every error is `{"error": {type, code, message, param}}`, whoever produced it."""
    response = get_response(event)
    body = response.body
    if response.status_code < 400 or not (isinstance(body, dict) and "Code" in body):
        return response
    kind = _CHALICE_ERRORS.get(response.status_code, InvalidRequest)
    message = str(body.get("Message") or kind.__doc__)
    param = None
    if kind is UnsupportedMediaType:
        sent = event.headers.get("content-type", "")
        message = f"the body must be JSON: send Content-Type: application/json (not {sent})"
        param = "Content-Type"
    error = kind(message, param=param)
    kept = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    return error_response(error, headers=kept, status=response.status_code)


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


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise InvalidJson(f"the body names {key!r} twice: send each field once", param=key)
        seen[key] = value
    return seen


def _not_json_number(name: str) -> Any:
    raise InvalidJson(f"{name} is not a JSON number")


MAX_DEPTH = 64  # far below the interpreter's recursion limit (~1,000), far above any real body
_SPECIAL = re.compile(rb'[\[\]{}"\\]')
_OPEN, _CLOSE, _QUOTE, _BACKSLASH = b"[{", b"]}", ord('"'), ord("\\")


def _too_deep(raw: bytes) -> bool:
    """Whether arrays and objects nest past MAX_DEPTH, counted outside strings, in one linear
    pass and without parsing (a parser recurses once per level: a bomb of a few kilobytes
    exhausts its stack first)."""
    depth = 0
    in_string = False
    escaped = -1  # the position a backslash inside a string escapes
    for found in _SPECIAL.finditer(raw):
        at = found.start()
        char = raw[at]
        if at == escaped:
            continue
        if in_string:
            if char == _BACKSLASH:
                escaped = at + 1
            elif char == _QUOTE:
                in_string = False
        elif char == _QUOTE:
            in_string = True
        elif char in _OPEN:
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in _CLOSE:
            depth -= 1
    return False


def _check_json(raw: str | bytes) -> None:
    """What pydantic's parser lets through but a money API must not guess about: a key sent
    twice (pydantic keeps the last), NaN and Infinity, numbers too long to be amounts, and
    nesting deep enough to exhaust a parser's stack."""
    data = raw.encode() if isinstance(raw, str) else raw
    if _too_deep(data):
        raise InvalidJson(f"the body is nested more than {MAX_DEPTH} levels deep")
    try:
        json.loads(data, object_pairs_hook=_unique_keys, parse_constant=_not_json_number)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, Python's limit on digits
        raise InvalidJson(f"the body is not valid JSON: {exc}") from exc


def _parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    raw = request.raw_body or b""
    if len(raw) > deps().settings.max_body_bytes:
        raise PayloadTooLarge(
            f"the body is {len(raw)} bytes; at most {deps().settings.max_body_bytes} are accepted"
        )
    if raw:
        _check_json(raw)
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as exc:
        raise _validation_error(exc, "the body") from exc


SCOPES_ALLOWED = {"storefront": {"storefront", "admin"}, "admin": {"admin"}}


def _check_scope(scope: str | None, context: dict[str, Any]) -> None:
    """Defence in depth: the authorizer's path policy is one layer, the view's own check another,
    so no way of writing a path (fragments, encodings) takes a key past its scope."""
    if scope is None:
        return
    caller = context.get("scope")
    if caller not in SCOPES_ALLOWED[scope]:
        raise Forbidden(
            f"a {caller or 'missing'} key cannot reach this route", param="Authorization"
        )


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


def _respond(result: Answer | BaseModel | Response) -> Response:
    """A write that created something is a 201, anything else a 200."""
    if isinstance(result, Response):  # a CSV page, headers and all
        return result
    if isinstance(result, Answer):
        headers: dict[str, str | list[str]] = dict(JSON)
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        status = 201 if result.created else 200
        return Response(body=result.body, status_code=status, headers=headers)
    return Response(body=result.model_dump_json(), status_code=200, headers=JSON)


def _failed(exc: Exception, method: str, path: str) -> Response:
    """A failure in the error shape: a domain error its status, anything else a 500 logged as
    a bug with its request id."""
    if isinstance(exc, Misconfigured):
        request_id = _request_id()
        log.error("misconfigured stack (request %s): %s", request_id, exc.message)
        return error_response(exc, extra={"request_id": request_id})
    if isinstance(exc, Unavailable):
        request_id = _request_id()
        log.error("store unavailable (request %s, %s %s)", request_id, method, path, exc_info=exc)
        return error_response(exc, extra={"request_id": request_id}, headers={"Retry-After": "1"})
    if isinstance(exc, DomainError):
        if isinstance(exc, COUPON_REFUSALS):
            observe.count(observe.COUPON_REFUSALS)
        if isinstance(exc, RateLimited):
            wait: dict[str, str | list[str]] = {"Retry-After": str(exc.retry_after)}
            return error_response(exc, extra=exc.details or None, headers=wait)
        if isinstance(exc, MemberMerged):  # like a 301: where the member is now
            moved: dict[str, str | list[str]] = {"Location": f"/v1/members/{exc.merged_into}"}
            return error_response(exc, extra=exc.details, headers=moved)
        return error_response(exc, extra=exc.details or None)
    request_id = _request_id()
    log.error("unexpected error (request %s, %s %s)", request_id, method, path, exc_info=exc)
    return error_response(
        InternalError("an internal error occurred; it is logged as a bug"),
        extra={"request_id": request_id},
    )


def endpoint(
    path: str,
    method: str,
    *,
    operation: str,
    summary: str,
    scope: str | None = "storefront",
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    query: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
    meter: Meter | None = None,
    produces: str | None = None,
) -> Callable[[Callable[..., Answer | BaseModel | Response]], Callable[..., Response]]:
    """`operation` names the route in the OpenAPI document (`recordPurchase`): a generated
    client's method, so it never changes once published. `meter`, given the answer's body,
    names the metrics a first (not replayed) answer adds."""
    writes = method in {"POST", "PUT", "PATCH", "DELETE"}
    spec = (summary, scope, body, response, status, query, writes, errors, meter, produces)
    ROUTES.append(RouteSpec(path, method, operation, *spec))

    def wrap(handler: Callable[..., Answer | BaseModel | Response]) -> Callable[..., Response]:
        @wraps(handler)
        def view(**params: str) -> Response:
            request = api.current_request
            try:
                context = (request.context or {}).get("authorizer") or {}
                _check_scope(scope, context)
                parsed = _parse_body(request, body) if body is not None else None
                parsed_query = _parse_query(request, query) if query is not None else None
                principal = context.get("key_id") or context.get("principalId") or "anonymous"
                operation = f"{method} {path.format(**params)}"
                idem = _idem(request, principal, operation, parsed) if writes else None
                caller = context.get("scope")
                grants = frozenset(str(context.get("grants") or "").split())
                result = handler(
                    Call(parsed, parsed_query, principal, idem, caller, grants), **params
                )
                if meter is not None and isinstance(result, Answer) and not result.replayed:
                    for name, value in meter(json.loads(result.body)).items():
                        observe.count(name, value)
                return _respond(result)
            except Exception as exc:
                return _failed(exc, method, path)

        authorizer = None if scope is None else api_key_auth
        api.route(path, methods=[method], authorizer=authorizer)(view)
        return view

    return wrap
