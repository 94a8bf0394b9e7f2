"""Regression tests for what a hostile client found (issue 7): each failed before its fix."""

import json
import logging

import pytest
from botocore.client import BaseClient

from tests.conftest import TEST_PROGRAM

T = "/v1/admin/coupon-templates"
SHAPE = {"type", "code", "message", "param"}


def _error(response) -> dict:
    body = json.loads(response.body)
    assert set(body) == {"error"}, body
    assert set(body["error"]) >= SHAPE, body
    return body["error"]


def _template(**changes):
    return {"template_id": "hello", "name": "¥5 off", "kind": "fixed", "amount_off": 500, **changes}


# 1. scope is checked by every view, not only by the authorizer's path policy ------------------


def test_storefront_key__cannot_reach_admin_through_a_fragment_in_the_path(api):
    response = api.post(f"{T}#/v1/members", _template())
    assert response.status_code == 403
    assert _error(response)["code"] == "forbidden"
    assert api.get(f"{T}/hello", key="admin").status_code == 404  # nothing was created


def test_storefront_key__cannot_run_a_job_through_a_fragment(api):
    response = api.post("/v1/admin/jobs/winback#/v1/members", {"dry_run": False})
    assert response.status_code == 403


# 2. timestamps out of any sane range are a 422 naming the field ------------------------------


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31T23:59:59Z"],
)
def test_occurred_at__at_the_edges_of_time_is_422(api, moment):
    member_id = api.enroll()
    basket = {"amount": 100, "currency": "CNY", "occurred_at": moment}
    for path, body in [
        (f"/v1/members/{member_id}/quote", basket),
        (f"/v1/members/{member_id}/purchases", {**basket, "order_id": "o-1"}),
    ]:
        response = api.post(path, body)
        assert response.status_code == 422, response.body
        assert _error(response)["param"] == "occurred_at"
    assert api.get(f"/v1/members/{member_id}/ledger").json_body["entries"] == []


def test_purchase__older_than_the_program_allows_is_422(api, clock):
    member_id = api.enroll()
    old = (clock.now.replace(year=clock.now.year - 2)).isoformat()
    body = {"order_id": "o-1", "amount": 100, "currency": "CNY", "occurred_at": old}
    response = api.post(f"/v1/members/{member_id}/purchases", body)
    assert response.status_code == 422 and _error(response)["param"] == "occurred_at"


def test_birthday__outside_a_lifetime_is_422(api):
    for birthday in ["0001-01-01", "2999-01-01"]:
        response = api.post("/v1/members", {"phone": "13800138000", "birthday": birthday})
        assert response.status_code == 422 and _error(response)["param"] == "birthday"


# 3. what an admin may store can always be used ------------------------------------------------


def test_template__validity_past_the_supported_range_is_422(api):
    validity = {
        "kind": "fixed",
        "starts_at": "2026-01-01T00:00:00Z",
        "ends_at": "9999-12-31T23:59:59-14:00",
    }
    response = api.post(T, _template(validity=validity), key="admin")
    assert response.status_code == 422
    assert _error(response)["param"] == "validity.fixed.ends_at"


def test_program__naming_a_template_that_does_not_exist_is_422(api):
    doc = TEST_PROGRAM.model_dump(mode="json", exclude={"version"})
    response = api.put("/v1/admin/program", {**doc, "enroll_coupon": "nope"}, key="admin")
    assert response.status_code == 422 and _error(response)["param"] == "enroll_coupon"
    doc["lifecycle"] = {"winback_coupon": "nope"}
    response = api.put("/v1/admin/program", doc, key="admin")
    assert response.status_code == 422 and _error(response)["param"] == "lifecycle.winback_coupon"


def test_program__naming_a_template_whose_validity_has_ended_is_422(api, clock):
    validity = {
        "kind": "fixed",
        "starts_at": "2025-01-01T00:00:00Z",
        "ends_at": "2025-02-01T00:00:00Z",
    }
    assert api.post(T, _template(validity=validity), key="admin").status_code == 201
    doc = TEST_PROGRAM.model_dump(mode="json", exclude={"version"})
    response = api.put("/v1/admin/program", {**doc, "enroll_coupon": "hello"}, key="admin")
    assert response.status_code == 422 and _error(response)["param"] == "enroll_coupon"


def test_enroll__survives_an_enroll_coupon_that_can_no_longer_be_issued(api, clock):
    ends = clock.now.replace(day=clock.now.day + 1).isoformat()
    validity = {"kind": "fixed", "starts_at": "2026-01-01T00:00:00Z", "ends_at": ends}
    assert api.post(T, _template(validity=validity), key="admin").status_code == 201
    doc = TEST_PROGRAM.model_dump(mode="json", exclude={"version"})
    assert (
        api.put("/v1/admin/program", {**doc, "enroll_coupon": "hello"}, key="admin").status_code
        == 200
    )
    first = api.post("/v1/members", {"phone": "13800138000"})
    assert first.status_code == 201 and len(first.json_body["coupons_issued"]) == 1
    clock.advance(days=2)  # the template's fixed validity is over
    response = api.post("/v1/members", {"phone": "13800138001"})
    assert response.status_code == 201, response.body
    assert response.json_body["coupons_issued"] == []
    skipped = response.json_body["coupons_skipped"]
    assert [s["template_id"] for s in skipped] == ["hello"] and "ended" in skipped[0]["reason"]


# 4. every error, whatever produced it, is in the API's error shape ---------------------------


def test_body_with_another_content_type__is_415_in_the_error_shape(api):
    response = api.post(
        "/v1/members", {"phone": "13800138000"}, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    error = _error(response)
    assert error["code"] == "unsupported_media_type" and error["param"] == "Content-Type"


def test_json_with_parameters_and_json_without_a_content_type__are_accepted(api):
    with_charset = api.post(
        "/v1/members",
        {"phone": "13800138000"},
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert with_charset.status_code == 201
    headers = {"Authorization": f"Bearer {api.storefront}"}
    bare = api.client.http.request(
        "POST", "/v1/members", headers=headers, body=b'{"phone": "13800138001"}'
    )
    assert bare.status_code == 201


def test_unsupported_method__is_405_in_the_error_shape(api):
    response = api.call("DELETE", "/v1/members")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


# 5. duplicate keys: a money API does not guess which one was meant ---------------------------


def test_duplicate_json_keys__are_400_invalid_json(api):
    member_id = api.enroll()
    raw = b'{"order_id": "a", "order_id": "b", "amount": 100, "currency": "CNY"}'
    response = api.post(f"/v1/members/{member_id}/purchases", raw=raw)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid_json" and "order_id" in error["message"]
    nested = b'{"amount": 100, "currency": "CNY", "items": [{"amount": 100, "amount": 1}]}'
    assert api.post(f"/v1/members/{member_id}/quote", raw=nested).status_code == 400


def test_numbers_json_does_not_have__are_400_invalid_json(api):
    member_id = api.enroll()
    for raw in [
        b'{"order_id": "a", "amount": NaN, "currency": "CNY"}',
        b'{"amount": 1' + b"0" * 5000 + b"}",
    ]:
        response = api.post(f"/v1/members/{member_id}/purchases", raw=raw)
        assert response.status_code == 400 and _error(response)["code"] == "invalid_json"


# 6. a failing store is a 503 with a retry hint, logged with the request id, never a 500 -------


def test_store_raising_something_unexpected__is_503_with_retry_after(api, monkeypatch, caplog):
    member_id = api.enroll()
    original = BaseClient._make_api_call

    def broken(self, operation, params):
        if operation in ("Query", "GetItem") and "MEMBER#" in json.dumps(params):
            raise RuntimeError("dictionary changed size during iteration")
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", broken)
    with caplog.at_level(logging.ERROR, logger="loyalty.api"):
        response = api.get(f"/v1/members/{member_id}")
    assert response.status_code == 503
    error = _error(response)
    assert error["code"] == "unavailable" and "retry" in error["message"]
    assert response.headers.get("Retry-After") == "1"
    request_id = error["request_id"]
    assert any(request_id in record.getMessage() for record in caplog.records)


def test_a_bug_in_a_view__is_500_in_the_error_shape(api, monkeypatch):
    from chalicelib.services import members

    def bug(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(members, "read", bug)
    member_id = api.enroll()
    response = api.get(f"/v1/members/{member_id}")
    assert response.status_code == 500
    assert _error(response)["code"] == "internal_error"
