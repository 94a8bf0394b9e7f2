"""Coupons and tiers through the HTTP contract."""

import pytest

from loyalty_tools.demo import DEMO_LADDER, DEMO_TEMPLATES

T = "/v1/admin/coupon-templates"


def _setup(api):
    for template in DEMO_TEMPLATES:  # first: the ladder names some of them
        body = template.model_dump(mode="json")
        assert api.post(T, body, key="admin").status_code == 201
    program = api.get("/v1/admin/program", key="admin").json_body
    program["tiers"] = DEMO_LADDER.model_dump(mode="json")
    assert api.put("/v1/admin/program", program, key="admin").status_code == 200


def _buy(api, member_id, order_id, amount, **extra):
    body = {"order_id": order_id, "amount": amount, "currency": "CNY", **extra}
    response = api.post(f"/v1/members/{member_id}/purchases", body)
    assert response.status_code == 201, response.json_body
    return response.json_body


def test_templates__admin_creates_lists_reads_and_changes_them(api):
    _setup(api)
    listed = api.get(T, key="admin").json_body["templates"]
    assert {t["template_id"] for t in listed} == {t.template_id for t in DEMO_TEMPLATES}
    one = api.get(f"{T}/tea-voucher", key="admin").json_body
    assert (one["points_price"], one["issued"], one["version"]) == (500, 0, 1)
    changed = {k: v for k, v in one.items() if k not in ("issued", "version")}
    changed["amount_off"] = 600
    response = api.put(f"{T}/tea-voucher", changed, key="admin")
    assert response.status_code == 200 and response.json_body["version"] == 2
    duplicate = api.post(T, changed, key="admin")
    assert (
        duplicate.status_code == 409 and duplicate.json_body["error"]["code"] == "template_exists"
    )
    assert api.get(f"{T}/nope", key="admin").status_code == 404
    assert api.get(T).status_code == 403  # a storefront key cannot see templates


def test_template__invalid_shape_names_the_problem(api):
    response = api.post(T, {"template_id": "x", "name": "x", "kind": "percent"}, key="admin")
    assert response.status_code == 422 and "percent_off" in response.json_body["error"]["message"]


def test_tier_up_purchase__answers_tier_changed_and_the_welcome_coupon(api):
    _setup(api)
    member_id = api.enroll()
    body = _buy(api, member_id, "o-1", 60_000)
    assert body["tier_changed"] == {"from_tier": None, "to_tier": "silver"}
    code = body["coupons_issued"][0]["code"]
    member = api.get(f"/v1/members/{member_id}").json_body
    assert member["tier"] == "silver"
    assert member["tier_progress"]["next_tier"] == "gold"
    assert member["tier_progress"]["missing"] == 140_000
    listed = api.get(f"/v1/members/{member_id}/coupons").json_body
    assert [c["code"] for c in listed["usable"]] == [code]
    assert listed["used"] == [] and listed["expired"] == []


def test_quote__lists_coupons_that_apply_with_their_discount(api):
    _setup(api)
    member_id = api.enroll()
    _buy(api, member_id, "o-1", 60_000)  # silver: a ¥20-off-¥100 welcome coupon
    quote = api.post(f"/v1/members/{member_id}/quote", {"amount": 12_000, "currency": "CNY"})
    (coupon,) = quote.json_body["coupons"]
    assert (coupon["applies"], coupon["discount_amount"]) == (True, 2_000)
    small = api.post(f"/v1/members/{member_id}/quote", {"amount": 5_000, "currency": "CNY"})
    assert small.json_body["coupons"][0]["applies"] is False
    assert "spend" in small.json_body["coupons"][0]["reason"]


def test_redeem_and_release__over_http(api):
    _setup(api)
    member_id = api.enroll()
    code = _buy(api, member_id, "o-1", 60_000)["coupons_issued"][0]["code"]
    path = f"/v1/members/{member_id}/coupons/{code}"
    body = {"order_id": "o-2", "amount": 12_000, "currency": "CNY"}
    first = api.post(f"{path}/redeem", body, headers={"Idempotency-Key": "r-1"})
    assert first.status_code == 201 and first.json_body["discount_amount"] == 2_000
    again = api.post(f"{path}/redeem", body, headers={"Idempotency-Key": "r-1"})
    assert again.body == first.body
    other = api.post(f"{path}/redeem", {"order_id": "o-3"})
    assert other.status_code == 409 and other.json_body["error"]["code"] == "coupon_not_usable"
    released = api.post(f"{path}/release", {"order_id": "o-2"})
    assert released.status_code == 200 and released.json_body["coupon"]["status"] == "usable"
    assert api.post(f"{path}/release", {"order_id": "o-2"}).status_code == 200


def test_exchange_and_admin_issue__over_http(api):
    _setup(api)
    member_id = api.enroll()
    _buy(api, member_id, "o-1", 60_000)  # 600 points (silver ×1.2 applies from the next one)
    exchanged = api.post(
        f"/v1/members/{member_id}/coupons/exchange",
        {"template_id": "tea-voucher", "exchange_id": "x-1"},
    )
    assert exchanged.status_code == 201
    assert exchanged.json_body["member"]["points_balance"] == 100
    issued = api.post(
        f"{T}/birthday-gift/issue", {"member_id": member_id, "issue_id": "b-1"}, key="admin"
    )
    assert issued.status_code == 201 and issued.json_body["coupon"]["kind"] == "free_shipping"
    unknown = api.post(f"{T}/birthday-gift/issue", {"member_id": "mem_x"}, key="admin")
    assert unknown.status_code == 404


def test_activity__over_http(api):
    program = api.get("/v1/admin/program", key="admin").json_body
    program["growth"]["activities"] = {"review": 10}
    assert api.put("/v1/admin/program", program, key="admin").status_code == 200
    member_id = api.enroll()
    path = f"/v1/members/{member_id}/activities"
    response = api.post(path, {"activity": "review", "activity_id": "r-1"})
    assert response.status_code == 201 and response.json_body["growth_earned"] == 10
    unknown = api.post(path, {"activity": "dance", "activity_id": "r-2"})
    assert unknown.status_code == 422 and unknown.json_body["error"]["param"] == "activity"


def test_tier_review__admin_dry_run_by_default(api):
    _setup(api)
    response = api.post("/v1/admin/jobs/tier-review", {}, key="admin")
    assert response.status_code == 200
    assert response.json_body["dry_run"] is True and response.json_body["candidates"] == 0
    assert api.post("/v1/admin/jobs/tier-review", {}).status_code == 403
    for job in ("birthday-perks", "winback"):
        ran = api.post(f"/v1/admin/jobs/{job}", {"days_back": 2}, key="admin")
        assert ran.status_code == 200 and ran.json_body["job"] == job
    unknown = api.post("/v1/admin/jobs/nope", {}, key="admin")
    assert unknown.status_code == 404 and unknown.json_body["error"]["param"] == "job"


@pytest.mark.long
def test_scheduled_nightly__runs_every_job_as_a_lambda(api):
    _setup(api)
    event = api.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    finished = set()
    for _ in range(200):  # the test's Lambda has 3 s: out of time, the next call goes on
        result = api.client.lambda_.invoke("nightly", event)
        finished |= {job for job, _, status, _ in result.payload["runs"] if status == "finished"}
        if not result.payload["runs"]:
            break  # the same hour, nothing left to do
    assert finished == {
        "expiry",
        "reminders",
        "dormancy",
        "birthdays",
        "tier-review",
        "rfm",
        "figures",
        "reconcile",
    }
    assert result.payload["runs"] == [] and result.payload["continued"] is False
