"""Enroll, look up and read members through the HTTP contract."""


def test_enroll__creates_member_with_masked_identifiers(api):
    response = api.post(
        "/v1/members",
        {
            "phone": "+86 138 0013 8000",
            "email": "Ann@Example.com",
            "birthday": "1990-05-04",
            "marketing_consent": True,
        },
    )
    assert response.status_code == 201
    member = response.json_body
    assert member["member_id"].startswith("mem_")
    assert member["phone"] == "+86 138****8000"
    assert member["email"] == "a***@example.com"
    assert (member["points_balance"], member["points_pending"], member["points_debt"]) == (0, 0, 0)
    assert member["lifetime_points"] == 0 and member["tier"] is None


def test_enroll__same_phone_in_another_format_returns_the_same_member(api):
    first = api.post("/v1/members", {"phone": "13800138000"})
    again = api.post("/v1/members", {"phone": "+8613800138000", "email": "b@example.com"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json_body["member_id"] == first.json_body["member_id"]
    # the email the second channel brought is linked to the same person
    found = api.post("/v1/members/lookup", {"email": "B@example.com"})
    assert found.json_body["member_id"] == first.json_body["member_id"]


def test_enroll__identifiers_of_two_members_conflict(api):
    api.post("/v1/members", {"phone": "13800138000"})
    api.post("/v1/members", {"email": "c@example.com"})
    response = api.post("/v1/members", {"phone": "13800138000", "email": "c@example.com"})
    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "identity_conflict"


def test_lookup__unknown_phone_is_404_naming_the_field(api):
    response = api.post("/v1/members/lookup", {"phone": "13900139000"})
    assert response.status_code == 404
    assert response.json_body["error"] == {
        "type": "invalid_request_error",
        "code": "member_not_found",
        "message": "no member has that phone",
        "param": "phone",
    }


def test_lookup__needs_exactly_one_identifier(api):
    response = api.post("/v1/members/lookup", {"phone": "13800138000", "email": "a@example.com"})
    assert response.status_code == 422


def test_get_member__unknown_or_malformed_id_is_404(api):
    for member_id in ("mem_01ARZ3NDEKTSV4RRFFQ69G5FAV", "not-an-id", "x" * 300):
        response = api.get(f"/v1/members/{member_id}")
        assert response.status_code == 404, member_id
        assert response.json_body["error"]["code"] == "member_not_found"


def test_enroll__mass_assignment_of_points_is_refused(api):
    response = api.post("/v1/members", {"phone": "13800138000", "points_balance": 10_000})
    assert response.status_code == 422
    assert response.json_body["error"]["code"] == "unknown_field"
    assert response.json_body["error"]["param"] == "points_balance"
    assert api.post("/v1/members/lookup", {"phone": "13800138000"}).status_code == 404


def test_enroll__invalid_phone_names_the_field(api):
    response = api.post("/v1/members", {"phone": "12"})
    assert response.status_code == 422
    assert response.json_body["error"]["param"] == "phone"


def test_enroll__without_identifier_is_refused(api):
    response = api.post("/v1/members", {"birthday": "1990-01-01"})
    assert response.status_code == 422
    assert "phone, email, external_id or openid" in response.json_body["error"]["message"]


def test_events__are_admin_only_and_an_unknown_id_is_a_404(api):
    assert api.get("/v1/admin/events").status_code == 403
    listed = api.get("/v1/admin/events", key="admin")
    assert listed.status_code == 200 and listed.json_body == {"events": [], "next_cursor": None}
    missing = api.get("/v1/admin/events/evt_20260301040000000000_0000", key="admin")
    assert missing.status_code == 404
    assert missing.json_body["error"]["code"] == "event_not_found"
    bad = api.get("/v1/admin/events?cursor=not-ours", key="admin")
    assert bad.status_code in (400, 422)
    assert bad.json_body["error"]["param"] == "cursor"
