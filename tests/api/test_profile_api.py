"""The member's profile: stored at enrolment and shown back, changed by PATCH (only what is
sent; null clears), limits that refuse with the field named and write nothing."""

import pytest

M = "/v1/members/{}"


def enroll(api, **profile):
    response = api.post("/v1/members", {"phone": "13800138000", **profile})
    assert response.status_code == 201, response.json_body
    return response.json_body


def test_enrol__stores_the_profile_and_shows_it_back(api):
    body = enroll(
        api,
        name="王小明 🍵",
        gender="male",
        locale="zh-CN",
        attributes={"wechat_nick": "小明👨‍👩‍👧", "source": "douyin"},
        marketing_consent=True,
        channel="miniprogram",
    )
    read = api.get(M.format(body["member_id"])).json_body
    for shown in (body, read):
        assert shown["name"] == "王小明 🍵" and shown["gender"] == "male"
        assert shown["locale"] == "zh-CN" and shown["tags"] == []
        assert shown["attributes"] == {"wechat_nick": "小明👨‍👩‍👧", "source": "douyin"}
        assert shown["marketing_consent"] is True
        assert shown["marketing_consent_channel"] == "miniprogram"
        assert shown["marketing_consent_at"] == shown["created_at"]


def test_patch__changes_only_what_is_sent__null_clears__attributes_merge(api):
    member = enroll(api, name="Li Lei", locale="en", attributes={"a": "1", "b": "2"})
    path = M.format(member["member_id"])
    patched = api.call("PATCH", path, {"name": "Li Lei 李雷", "attributes": {"a": None, "c": "3"}})
    assert patched.status_code == 200, patched.json_body
    out = patched.json_body
    assert out["name"] == "Li Lei 李雷" and out["locale"] == "en"
    assert out["attributes"] == {"b": "2", "c": "3"}
    unchanged = api.call("PATCH", path, {"attributes": {}}).json_body
    assert unchanged["attributes"] == {"b": "2", "c": "3"}
    cleared = api.call("PATCH", path, {"locale": None, "attributes": None}).json_body
    assert cleared["locale"] is None and cleared["attributes"] == {} and cleared["name"]
    assert api.get(path).json_body["attributes"] == {}


def test_patch__consent_records_when_and_through_which_channel(api, clock):
    member = enroll(api)
    assert member["marketing_consent_at"] is None
    path = M.format(member["member_id"])
    clock.advance(days=3)
    given = api.call("PATCH", path, {"marketing_consent": True, "channel": "pos"}).json_body
    assert given["marketing_consent"] is True and given["marketing_consent_channel"] == "pos"
    assert given["marketing_consent_at"].startswith(clock.now.date().isoformat())
    clock.advance(days=1)
    withdrawn = api.call("PATCH", path, {"marketing_consent": False, "channel": "web"}).json_body
    assert withdrawn["marketing_consent"] is False
    assert withdrawn["marketing_consent_channel"] == "web"
    assert withdrawn["marketing_consent_at"] > given["marketing_consent_at"]


def test_tags_are_the_merchants__and_a_birthday_moves_once_set_only_with_an_admin_key(api):
    refused = api.post("/v1/members", {"phone": "13800138001", "tags": ["vip"]})
    assert refused.status_code == 403 and refused.json_body["error"]["param"] == "tags"
    member = enroll(api)
    path = M.format(member["member_id"])
    assert api.call("PATCH", path, {"tags": ["vip"]}).status_code == 403
    tagged = api.call("PATCH", path, {"tags": ["vip", "高价值"]}, key="admin").json_body
    assert tagged["tags"] == ["vip", "高价值"]
    assert api.call("PATCH", path, {"birthday": "1990-05-01"}).status_code == 200
    again = api.call("PATCH", path, {"birthday": "1990-06-01"})
    assert again.status_code == 403 and again.json_body["error"]["param"] == "birthday"
    moved = api.call("PATCH", path, {"birthday": "1990-06-01"}, key="admin").json_body
    assert moved["birthday"] == "1990-06-01"


BAD = [
    ({"name": "x" * 10_000}, "name"),
    ({"name": "Li\x00Lei"}, "name"),
    ({"name": "Li\u0007Lei"}, "name"),
    ({"name": ""}, "name"),
    ({"gender": "robot"}, "gender"),
    ({"locale": "not a locale"}, "locale"),
    ({"tags": ["t"] * 21}, "tags"),
    ({"tags": ["x" * 33]}, "tags.0"),
    ({"tags": ["vip", "VIP"]}, "tags"),
    ({"attributes": {f"k{i}": "v" for i in range(21)}}, "attributes"),
    ({"attributes": {"k": "v" * 257}}, "attributes.k"),
    ({"attributes": {"1bad": "v"}}, "attributes"),
    ({"attributes": {"k": 1}}, "attributes.k"),
    ({"points_balance": 100}, "points_balance"),
    ({"tier": "gold"}, "tier"),
    ({"birthday": "2999-01-01"}, "birthday"),
    ({"marketing_consent": None}, "marketing_consent"),
]


@pytest.mark.parametrize(("body", "param"), BAD)
def test_patch__bad_input_is_a_4xx_naming_the_field_and_writes_nothing(api, body, param):
    member = enroll(api, name="Han Meimei")
    path = M.format(member["member_id"])
    response = api.call("PATCH", path, body, key="admin")
    assert response.status_code in (400, 422), response.json_body
    assert response.json_body["error"]["param"] == param, response.json_body
    after = api.get(path).json_body
    assert after["name"] == "Han Meimei" and after["updated_at"] == member["updated_at"]


def test_enrol__a_lone_surrogate_or_a_control_character_in_a_name_is_refused(api):
    raw = b'{"phone": "13800138000", "name": "Li\\ud800Lei"}'
    response = api.post("/v1/members", raw=raw)
    assert response.status_code in (400, 422), response.json_body
    assert response.json_body["error"]["code"] in ("invalid_json", "validation_error")
    tab = api.post("/v1/members", {"phone": "13800138000", "name": "Li\tLei"})
    assert tab.status_code == 422
    assert api.post("/v1/members/lookup", {"phone": "13800138000"}).status_code == 404


def test_patch__an_unknown_member_is_404(api):
    response = api.call("PATCH", M.format("mem_nobody"), {"name": "x"})
    assert response.status_code == 404


def test_patch__attributes_past_their_limit_once_merged_are_refused_and_nothing_written(api):
    member = enroll(api, attributes={f"k{i}": "v" for i in range(20)})
    path = M.format(member["member_id"])
    response = api.call("PATCH", path, {"attributes": {"one_more": "v"}, "name": "New"})
    assert response.status_code == 422 and response.json_body["error"]["param"] == "attributes"
    after = api.get(path).json_body
    assert len(after["attributes"]) == 20 and after["name"] is None
    swapped = api.call("PATCH", path, {"attributes": {"k0": None, "one_more": "v"}})
    assert swapped.status_code == 200 and "one_more" in swapped.json_body["attributes"]
