"""Regression tests for what a hostile client and a new user found (issue 32): each failed
before its fix."""

import json

import pytest

SHAPE = {"type", "code", "message", "param"}


def _error(response) -> dict:
    body = json.loads(response.body)
    assert set(body) == {"error"}, body
    assert set(body["error"]) >= SHAPE, body
    return body["error"]


def _bomb(depth: int, shape: str) -> bytes:
    if shape == "array":
        return ("[" * depth + "]" * depth).encode()
    return ('{"a":' * depth + "1" + "}" * depth).encode()


# 1. deeply nested JSON is a 400, never a 500 ----------------------------------------------------


@pytest.mark.parametrize("depth", [65, 964, 5_000, 10_000])
@pytest.mark.parametrize("shape", ["array", "object"])
def test_nested_body__past_64_levels_is_400_invalid_json(api, depth, shape):
    member_id = api.enroll()
    raw = _bomb(depth, shape)
    for path in [f"/v1/members/{member_id}/purchases", "/v1/members"]:
        response = api.post(path, raw=raw)
        assert response.status_code == 400, (path, depth, response.body[:200])
        error = _error(response)
        assert error["code"] == "invalid_json"
        if depth > 64:
            assert "nested" in error["message"]
    assert api.get(f"/v1/members/{member_id}/ledger").json_body["entries"] == []


def test_nested_body__of_64_levels_is_read_as_json(api):
    """The bound is on depth, not on JSON: a legal body nested 64 deep is judged by its schema."""
    member_id = api.enroll()
    attributes = {"a": 1}
    for _ in range(61):  # 62 levels, in `deep`, in `attributes`, in the body: 64
        attributes = {"a": attributes}
    response = api.call("PATCH", f"/v1/members/{member_id}", {"attributes": {"deep": attributes}})
    assert _error(response)["code"] != "invalid_json"


def test_brackets_inside_strings__do_not_count_as_nesting(api):
    member_id = api.enroll()
    body = {"order_id": "[" * 200 + "{" * 200, "amount": 100, "currency": "CNY"}
    response = api.post(f"/v1/members/{member_id}/purchases", body)
    assert response.status_code == 422  # the order id is too long, not a nesting bomb
    assert _error(response)["param"] == "order_id"


# 4. a purchase of 0 is not an order ------------------------------------------------------------


@pytest.mark.parametrize("raw_amount", ["0", "-0"])
def test_purchase__of_zero_is_422_and_counts_no_order(api, raw_amount):
    member_id = api.enroll()
    raw = f'{{"order_id": "free-1", "amount": {raw_amount}, "currency": "CNY"}}'.encode()
    response = api.post(f"/v1/members/{member_id}/purchases", raw=raw)
    assert response.status_code == 422, response.body
    error = _error(response)
    assert error["param"] == "amount" and "at least 1" in error["message"]
    refund = api.post(f"/v1/members/{member_id}/refunds", {"order_id": "free-1", "amount": 1})
    assert _error(refund)["code"] == "order_not_found"  # nothing was recorded
    today = api.get("/v1/admin/kpis?grain=day", key="admin").json_body
    assert sum(period["orders"] for period in today["periods"]) == 0


# 5. an unknown key is not authenticated; a known one outside its scope is forbidden -----------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer lk_sf_not-a-real-key", "Bearer ", "Basic dXNlcjpwYXNz", "lk_sf_bare", "Bearer"],
)
def test_no_key_an_unknown_key_or_a_malformed_header__is_401(api, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in [("POST", "/v1/members"), ("GET", "/v1/admin/program")]:
        response = api.call(method, path, {"phone": "13800138000"}, key=None, headers=headers)
        # the error's shape is API Gateway's (GatewayResponses; the local server's test)
        assert response.status_code == 401, (authorization, path, response.body)


def test_a_known_key_outside_its_scope__is_403(api):
    assert api.get("/v1/admin/program").status_code == 403


def test_rate_limited_answers__carry_retry_after(api, clock):
    member_id = api.enroll()
    clock.now = clock.now.replace(second=15)
    statuses = []
    for i in range(25):
        response = api.post(
            f"/v1/members/{member_id}/coupons/NOPE{i:04d}AAAA/redeem", {"order_id": "o-1"}
        )
        statuses.append(response.status_code)
    assert statuses[-1] == 429
    assert response.headers["Retry-After"] == "45"  # the rest of the minute
    assert _error(response)["code"] == "rate_limited"


# 7. one identity of each kind per member, the same rule everywhere ----------------------------


def test_enrolling_a_known_phone_with_another_email__is_409_and_links_nothing(api):
    member_id = api.enroll(phone="13800138000", email="first@example.com")
    response = api.post("/v1/members", {"phone": "138 0013 8000", "email": "second@example.com"})
    assert response.status_code == 409, response.body
    error = _error(response)
    assert error["code"] == "identity_conflict" and error["param"] == "email"
    assert error["member_id"] == member_id
    member = api.get(f"/v1/members/{member_id}").json_body
    assert member["identity_kinds"] == ["email", "phone"]
    # the second email is no one's: it may enrol someone else
    assert api.post("/v1/members", {"email": "second@example.com"}).status_code == 201
    # the same rule through /identities
    added = api.post(
        f"/v1/members/{member_id}/identities", {"kind": "email", "value": "third@example.com"}
    )
    assert added.status_code == 409 and _error(added)["param"] == "kind"


def test_enrolling_a_known_phone_with_its_own_email__is_200(api):
    member_id = api.enroll(phone="13800138000", email="first@example.com")
    again = api.post("/v1/members", {"phone": "13800138000", "email": "FIRST@example.com"})
    assert again.status_code == 200 and again.json_body["member_id"] == member_id


def test_enrolling_a_known_phone_with_a_first_email__links_it(api):
    member_id = api.enroll(phone="13800138000")
    again = api.post("/v1/members", {"phone": "13800138000", "email": "new@example.com"})
    assert again.status_code == 200 and again.json_body["identity_kinds"] == ["email", "phone"]
    assert again.json_body["member_id"] == member_id


# 11. look-ups that find no one are metered per key --------------------------------------------


def test_lookups_that_find_no_member__are_rate_limited_per_key(api, clock):
    member_id = api.enroll(phone="13800138000")
    clock.now = clock.now.replace(second=0)
    statuses = [
        api.post("/v1/members/lookup", {"phone": f"1390000{i:04d}"}).status_code for i in range(61)
    ]
    assert statuses[:60] == [404] * 60 and statuses[60] == 429
    limited = api.post("/v1/members/lookup", {"phone": "13800138000"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    # another key has its own count; the minute after, this one may look again
    found = api.post("/v1/members/lookup", {"phone": "13800138000"}, key="admin")
    assert found.status_code == 200 and found.json_body["member_id"] == member_id
    clock.advance(minutes=1)
    assert api.post("/v1/members/lookup", {"phone": "13800138000"}).status_code == 200


def test_lookups_that_find_a_member__are_never_limited(api, clock):
    api.enroll(phone="13800138000")
    clock.now = clock.now.replace(second=0)
    for _ in range(70):
        assert api.post("/v1/members/lookup", {"phone": "13800138000"}).status_code == 200


def test_the_lookup_limit__is_the_brand_s_to_set(api, brand, clock):
    from tests.conftest import TEST_PROGRAM, set_program

    set_program(
        brand, limits=TEST_PROGRAM.limits.model_copy(update={"lookup_misses_per_minute": 2})
    )
    clock.now = clock.now.replace(second=30)
    statuses = [
        api.post("/v1/members/lookup", {"email": f"x{i}@example.com"}).status_code for i in range(3)
    ]
    assert statuses == [404, 404, 429]
