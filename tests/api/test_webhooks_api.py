"""Webhook endpoints through the HTTP contract (admin only)."""

import pytest

from chalicelib.webhooks.sender import HttpSender

W = "/v1/admin/webhooks"
PUBLIC = "93.184.215.14"  # what hooks.example.com resolves to here: a public address


@pytest.fixture
def admin(api, brand):
    brand.sender = HttpSender(allow_loopback=False, resolver=lambda host, port: [PUBLIC])
    return api


def test_an_admin_registers_reads_changes_rotates_and_removes_an_endpoint(admin):
    body = {"url": "https://hooks.example.com/loyalty", "events": ["points.earned", "*"]}
    made = admin.post(W, body, key="admin")
    assert made.status_code == 201, made.json_body
    webhook_id, secret = made.json_body["webhook_id"], made.json_body["secret"]
    assert secret.startswith("whsec_") and made.json_body["enabled"] is True
    one = admin.get(f"{W}/{webhook_id}", key="admin").json_body
    assert "secret" not in one and one["events"] == ["points.earned", "*"]
    listed = admin.get(W, key="admin").json_body["webhooks"]
    assert [w["webhook_id"] for w in listed] == [webhook_id] and "secret" not in listed[0]
    changed = admin.call("PATCH", f"{W}/{webhook_id}", {"events": ["tier.changed"]}, key="admin")
    assert changed.status_code == 200 and changed.json_body["events"] == ["tier.changed"]
    off = admin.post(f"{W}/{webhook_id}/disable", key="admin")
    assert off.status_code == 200 and off.json_body["enabled"] is False
    on = admin.call("PATCH", f"{W}/{webhook_id}", {"enabled": True}, key="admin")
    assert on.json_body["enabled"] is True
    rotated = admin.post(
        f"{W}/{webhook_id}/rotate-secret", key="admin", headers={"Idempotency-Key": "rotate-1"}
    )
    again = admin.post(
        f"{W}/{webhook_id}/rotate-secret", key="admin", headers={"Idempotency-Key": "rotate-1"}
    )
    assert rotated.status_code == 200 and rotated.json_body["secret"] not in (secret, None)
    assert again.body == rotated.body and again.headers.get("Idempotent-Replayed") == "true"
    assert rotated.json_body["old_secret_until"] is not None
    deliveries = admin.get(f"{W}/{webhook_id}/deliveries?limit=5", key="admin")
    assert deliveries.status_code == 200 and deliveries.json_body["deliveries"] == []
    gone = admin.call("DELETE", f"{W}/{webhook_id}", key="admin")
    assert gone.status_code == 200 and gone.json_body == {"webhook_id": webhook_id, "deleted": True}
    missing = admin.get(f"{W}/{webhook_id}", key="admin")
    assert missing.status_code == 404
    assert missing.json_body["error"]["code"] == "webhook_not_found"


@pytest.mark.parametrize(
    "url",
    ["https://169.254.169.254/latest/meta-data/", "http://hooks.example.com/", "https://10.1.2.3/"],
)
def test_urls_that_must_not_receive_webhooks_are_422_url_not_allowed(admin, url):
    refused = admin.post(W, {"url": url, "events": ["*"]}, key="admin")
    assert refused.status_code == 422
    error = refused.json_body["error"]
    assert (error["code"], error["param"]) == ("url_not_allowed", "url")
    assert admin.get(W, key="admin").json_body["webhooks"] == []


def test_a_name_that_resolves_to_the_metadata_address_is_refused(admin, brand):
    brand.sender = HttpSender(allow_loopback=False, resolver=lambda host, port: ["169.254.169.254"])
    refused = admin.post(W, {"url": "https://sneaky.example.com/", "events": ["*"]}, key="admin")
    assert refused.status_code == 422
    assert "169.254.169.254" in refused.json_body["error"]["message"]


def test_bad_bodies_name_the_field(admin):
    unknown_type = admin.post(
        W, {"url": "https://hooks.example.com/", "events": ["points.nope"]}, key="admin"
    )
    assert unknown_type.status_code == 422
    assert unknown_type.json_body["error"]["param"] == "events.0"
    extra = admin.post(
        W, {"url": "https://hooks.example.com/", "events": ["*"], "secret": "x"}, key="admin"
    )
    assert extra.status_code in (400, 422) and extra.json_body["error"]["param"] == "secret"
    none = admin.post(W, {"url": "https://hooks.example.com/", "events": []}, key="admin")
    assert none.status_code == 422 and none.json_body["error"]["param"] == "events"


def test_only_admin_keys_reach_webhooks_and_unknown_ids_are_404(admin):
    assert admin.get(W).status_code == 403  # a storefront key
    assert admin.get(f"{W}/wh_nope/deliveries", key="admin").status_code == 404
    made = admin.post(W, {"url": "https://hooks.example.com/", "events": ["*"]}, key="admin")
    webhook_id = made.json_body["webhook_id"]
    redeliver = admin.post(f"{W}/{webhook_id}/deliveries/dlv_nope/redeliver", key="admin")
    assert redeliver.status_code == 404
    assert redeliver.json_body["error"]["code"] == "delivery_not_found"
    bad_cursor = admin.get(f"{W}/{webhook_id}/deliveries?cursor=x", key="admin")
    assert bad_cursor.status_code == 422 and bad_cursor.json_body["error"]["param"] == "cursor"


def test_a_malformed_webhook_or_delivery_id_is_simply_not_found(api):
    long = "wh_" + "0" * 2_000  # past DynamoDB's key length: must not reach it
    for path in (f"/v1/admin/webhooks/{long}", f"/v1/admin/webhooks/{long}/deliveries"):
        answer = api.get(path, key="admin")
        assert answer.status_code == 404, answer.json_body
        assert answer.json_body["error"]["code"] == "webhook_not_found"
    valid = "wh_" + "0" * 26
    again = api.post(f"/v1/admin/webhooks/{valid}/deliveries/{'x' * 2_000}/redeliver", key="admin")
    assert again.status_code == 404 and again.json_body["error"]["param"] in (
        "webhook_id",
        "delivery_id",
    )
