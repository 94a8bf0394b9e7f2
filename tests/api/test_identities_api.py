"""Identities on a member: added (one of each kind, each belonging to one member only) and
removed (a member keeps one at least); lookups follow."""

M = "/v1/members/{}"


def test_add_then_find_by_it__remove_then_not(api):
    member_id = api.enroll(phone="13800138000")
    path = f"{M.format(member_id)}/identities"
    added = api.post(path, {"kind": "email", "value": "Li.Lei@Example.com"})
    assert added.status_code == 201 and added.json_body["email"] == "l***@example.com"
    found = api.post("/v1/members/lookup", {"email": "li.lei@example.com"})
    assert found.json_body["member_id"] == member_id
    again = api.post(path, {"kind": "email", "value": "li.lei@example.com"})
    assert again.status_code == 200  # already the member's: nothing to do
    removed = api.call("DELETE", f"{path}/phone")
    assert removed.status_code == 200 and removed.json_body["phone"] is None
    assert api.post("/v1/members/lookup", {"phone": "13800138000"}).status_code == 404
    # the phone is free again: a new member may have it
    assert api.post("/v1/members", {"phone": "13800138000"}).status_code == 201


def test_an_identity_belongs_to_one_member__one_of_each_kind__the_last_one_stays(api):
    first = api.enroll(phone="13800138000")
    second = api.enroll(phone="13800138001")
    taken = api.post(f"{M.format(second)}/identities", {"kind": "phone", "value": "13800138000"})
    assert taken.status_code == 409 and taken.json_body["error"]["code"] == "identity_conflict"
    other = api.post(f"{M.format(first)}/identities", {"kind": "phone", "value": "13900000000"})
    assert other.status_code == 409 and other.json_body["error"]["param"] == "kind"
    last = api.call("DELETE", f"{M.format(first)}/identities/phone")
    assert last.status_code == 409 and last.json_body["error"]["code"] == "last_identity"
    missing = api.call("DELETE", f"{M.format(first)}/identities/email")
    assert missing.status_code == 404 and missing.json_body["error"]["code"] == "identity_not_found"
    bad = api.call("DELETE", f"{M.format(first)}/identities/passport")
    assert bad.status_code == 400 and bad.json_body["error"]["param"] == "kind"
    wrong = api.post(f"{M.format(first)}/identities", {"kind": "phone", "value": "12"})
    assert wrong.status_code == 422
    assert api.get(M.format(first)).json_body["phone"] == "+86 138****8000"


def test_an_openid_is_an_identity_like_the_others__kept_as_its_fingerprint_only(api):
    enrolled = api.post("/v1/members", {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"})
    assert enrolled.status_code == 201
    member_id = enrolled.json_body["member_id"]
    assert enrolled.json_body["identity_kinds"] == ["openid"]
    assert "oUpF8uMuAJO" not in enrolled.body.decode()  # never shown back
    found = api.post("/v1/members/lookup", {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"})
    assert found.json_body["member_id"] == member_id
    # the same person at the till: the phone joins the mini-program's member
    path = f"{M.format(member_id)}/identities"
    assert api.post(path, {"kind": "phone", "value": "13800138000"}).status_code == 201
    again = api.post(
        "/v1/members", {"phone": "13800138000", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
    )
    assert again.status_code == 200 and again.json_body["member_id"] == member_id
    removed = api.call("DELETE", f"{path}/openid")
    assert removed.json_body["identity_kinds"] == ["phone"]
    assert (
        api.post("/v1/members/lookup", {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}).status_code
        == 404
    )
    bad = api.post(path, {"kind": "openid", "value": "has spaces in it"})
    assert bad.status_code == 422 and "openid" in bad.json_body["error"]["message"]
