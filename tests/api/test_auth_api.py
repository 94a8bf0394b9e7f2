"""Two scopes of API keys; only the OpenAPI document is public."""

import json
import re
from pathlib import Path

from openapi_spec_validator import validate

VERBS = (  # an operation id starts with what it does
    r"(get|list|create|put|update|delete|record|redeem|refund|release|claim|issue|enroll|add"
    r"|remove|look|quote|reconcile|check|exchange|export|open|run|report|merge|preview|count"
    r"|top|pay|withdraw|freeze|unfreeze|disable|rotate|redeliver)(?=[A-Z]|$)"
)


def test_no_key__is_refused(api):
    assert api.get("/v1/admin/program", key=None).status_code == 401
    assert api.post("/v1/members", {"phone": "13800138000"}, key=None).status_code == 401


def test_unknown_key__is_refused(api):
    response = api.post("/v1/members", {"phone": "13800138000"}, key="lk_sf_not-a-real-key")
    assert response.status_code in (401, 403)
    assert api.post("/v1/members/lookup", {"phone": "13800138000"}).status_code == 404


def test_storefront_key__cannot_reach_admin(api):
    assert api.get("/v1/admin/program").status_code == 403
    assert api.put("/v1/admin/program", {"name": "x", "currency": "CNY"}).status_code == 403


def test_admin_key__reaches_admin_and_members(api):
    assert api.get("/v1/admin/program", key="admin").status_code == 200
    assert api.post("/v1/members", {"phone": "13800138000"}, key="admin").status_code == 201


def test_openapi__is_public_and_lists_every_route(api):
    response = api.get("/v1/openapi.json", key=None)
    assert response.status_code == 200
    doc = response.json_body
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # a well-formed OpenAPI 3.1 document
    for path in [
        "/v1/members",
        "/v1/members/lookup",
        "/v1/members/{member_id}",
        "/v1/members/{member_id}/quote",
        "/v1/members/{member_id}/purchases",
        "/v1/members/{member_id}/redemptions",
        "/v1/members/{member_id}/refunds",
        "/v1/members/{member_id}/ledger",
        "/v1/admin/program",
        "/v1/members/{member_id}/coupons",
        "/v1/members/{member_id}/coupons/exchange",
        "/v1/members/{member_id}/coupons/{code}/redeem",
        "/v1/members/{member_id}/coupons/{code}/release",
        "/v1/admin/coupon-templates",
        "/v1/admin/coupon-templates/{template_id}",
        "/v1/admin/coupon-templates/{template_id}/issue",
        "/v1/admin/jobs/{job}",
        "/v1/members/{member_id}/activities",
    ]:
        assert path in doc["paths"], path
    # every route the app serves is documented, and every documented one is served
    from app import app

    served = {
        (path, method)
        for path, methods in app.routes.items()
        for method in methods
        if not path.startswith("/dashboard")  # the dashboard's files, not the API
    }
    documented = {(p, m.upper()) for p, ops in doc["paths"].items() for m in ops}
    assert documented == served - {
        ("/v1/openapi.json", "GET"),
        ("/v1/events/asyncapi.json", "GET"),
    }
    purchase = doc["paths"]["/v1/members/{member_id}/purchases"]["post"]
    schema_name = purchase["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][schema_name.rsplit("/", 1)[-1]]
    assert schema["additionalProperties"] is False
    assert {"order_id", "amount", "currency"} <= set(schema["required"])


def test_the_event_catalogue__is_public_asyncapi_3_with_a_message_per_event_type(api):
    from chalicelib.events.derive import TYPES

    response = api.get("/v1/events/asyncapi.json", key=None)
    assert response.status_code == 200
    doc = response.json_body
    assert doc["asyncapi"] == "3.0.0"
    messages = doc["components"]["messages"]
    assert sorted(m["name"] for m in messages.values()) == sorted(TYPES)
    points = messages["points_earned"]["payload"]
    assert points["properties"]["type"] == {"const": "points.earned"}
    data = points["properties"]["data"]["$ref"].rsplit("/", 1)[-1]
    assert "balance_after" in doc["components"]["schemas"][data]["properties"]

    # every reference in the document resolves
    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(doc):
        target = doc
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]


def test_openapi__every_operation_has_a_readable_unique_and_stable_id(api):
    """A generated client names its methods by these: `recordPurchase`, not
    `post__v_members_member_id_purchases`. Published ids never change: the table beside this
    test is what storefronts' clients were generated with (add to it; never rename)."""
    doc = api.get("/v1/openapi.json", key=None).json_body
    ids = {
        f"{method.upper()} {path}": op["operationId"]
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    }
    assert len(set(ids.values())) == len(ids)  # unique
    for operation_id in ids.values():  # lowerCamelCase words, a verb first
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", operation_id), operation_id
        assert re.match(VERBS, operation_id), operation_id
    published = json.loads((Path(__file__).parent / "operation_ids.json").read_text())
    assert {k: v for k, v in ids.items() if k in published} == published  # never renamed
    assert set(ids) == set(published), "a new route: add its operationId to operation_ids.json"
    assert ids["POST /v1/members/{member_id}/purchases"] == "recordPurchase"
