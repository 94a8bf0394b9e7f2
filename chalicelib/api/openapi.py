"""The OpenAPI 3.1 document, built from the same route table and pydantic models the API runs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from chalice import Response
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..contract.common import ErrorOut
from .blueprint import api
from .http import ROUTES, RouteSpec

REF = "#/components/schemas/{model}"
STATUS_TEXT = {
    400: "Bad request",
    401: "No or unknown API key",
    403: "Key scope does not reach this route",
    404: "Not found",
    409: "Conflicts with what is recorded",
    405: "The path does not take this method",
    413: "Body too large",
    415: "The body is not JSON (send Content-Type: application/json, or none)",
    422: "A field is invalid",
    429: "Too many refused coupon codes from this key; wait a minute",
    500: "A bug in the engine (never expected); the body carries a request_id",
    503: "Store unavailable; nothing changed; retry after Retry-After seconds with the same key",
}


Ref = Callable[[type[BaseModel]], dict[str, Any]]

NEXT_PAGE_HEADERS = {
    "Next-Cursor": {
        "description": "the next page's cursor; absent on the last page",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": 'RFC 8288: <the next page>; rel="next", absent on the last',
        "schema": {"type": "string"},
    },
}

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "The same key and body replay the first answer and change nothing; "
    "the same key with another body is a 422.",
    "schema": {"type": "string", "maxLength": 255},
}


@cache
def document() -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorOut}
    for route in ROUTES:
        models |= {m for m in (route.body, route.response) if m is not None}
    pairs = [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)]
    keyed, schemas = models_json_schema(pairs, ref_template=REF)  # type: ignore[arg-type]

    def ref(model: type[BaseModel]) -> dict[str, Any]:
        return {"$ref": keyed[(model, "validation")]["$ref"]}

    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, ref)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Loyalty engine API",
            "version": "1",
            "description": "Members, points, redemptions and refunds for a brand's storefronts. "
            "Amounts are integers in minor units; points are integers.",
        },
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "lk_sf_… or lk_ad_…"}
            },
            "schemas": schemas.get("$defs", {}),
        },
        "paths": paths,
    }


def _operation(route: RouteSpec, ref: Ref) -> dict[str, Any]:
    if route.response:
        content: dict[str, Any] = {"application/json": {"schema": ref(route.response)}}
    elif route.produces:
        content = {route.produces: {"schema": {"type": "string"}}}
    else:
        content = {}
    op: dict[str, Any] = {
        "summary": route.summary,
        "operationId": route.operation,
        "tags": ["admin" if route.scope == "admin" else "storefront"],
        "responses": {str(route.status): {"description": "OK", "content": content}},
    }
    if route.produces:  # the exports' pages
        op["responses"][str(route.status)]["headers"] = NEXT_PAGE_HEADERS
    params = _parameters(route)
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {
            "required": True,
            "description": "JSON; a body sent without a Content-Type is read as JSON too. "
            "Each key at most once; unknown fields are refused.",
            "content": {"application/json": {"schema": ref(route.body)}},
        }
    codes = {400, 422, 500, 503, *route.errors} | ({401, 403} if route.scope else set())
    if route.body is not None:
        codes |= {413, 415}
    error = {"content": {"application/json": {"schema": ref(ErrorOut)}}}
    for code in sorted(codes):
        op["responses"][str(code)] = {"description": STATUS_TEXT[code], **error}
    if route.scope is None:
        op["security"] = []
    return op


def _parameters(route: RouteSpec) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", route.path)
    ]
    if route.query is not None:
        for name, info in route.query.model_json_schema()["properties"].items():
            params.append({"name": name, "in": "query", "required": False, "schema": info})
    if route.writes:
        params.append(IDEMPOTENCY_KEY)
    return params


@api.route("/v1/openapi.json", methods=["GET"])
def openapi() -> Response:
    return Response(
        body=json.dumps(document()), status_code=200, headers={"Content-Type": "application/json"}
    )
