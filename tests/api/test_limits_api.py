"""风控: the program's daily limits per member, each named when it holds: points past a points
limit are not earned (a line of the breakdown says so), a redemption or coupon past its limit is
refused with 409 `limit_reached`. They count by the brand-local day."""

from datetime import UTC, datetime

from loyalty_tools.demo import DEMO_TEMPLATES

T = "/v1/admin/coupon-templates"


def _limits(api, **limits):
    program = api.get("/v1/admin/program", key="admin").json_body
    program["limits"].update(limits)
    program["checkin"] = {"enabled": True, "points": 10}
    put = api.put("/v1/admin/program", program, key="admin")
    assert put.status_code == 200, put.json_body


def test_points_a_day_are_capped_across_purchases_and_check_ins__a_new_day_starts_again(api, clock):
    clock.now = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    _limits(api, max_points_per_member_per_day=100)
    member_id = api.enroll()
    assert api.buy(member_id, "o-1", 8_000)["points_earned"] == 80
    second = api.buy(member_id, "o-2", 5_000)
    assert second["points_earned"] == 20
    assert second["breakdown"][-1]["rule"] == "daily_cap"
    assert "max_points_per_member_per_day" in second["breakdown"][-1]["description"]
    assert sum(float(line["points"]) for line in second["breakdown"]) == 20
    checkin = api.post(f"/v1/members/{member_id}/check-ins", {}).json_body
    assert (checkin["points_earned"], checkin["capped_by"]) == (
        0,
        "limits.max_points_per_member_per_day",
    )
    clock.advance(hours=1)  # 00:30 the next local day
    assert api.buy(member_id, "o-3", 5_000)["points_earned"] == 50
    assert api.get(f"/v1/members/{member_id}").json_body["points_balance"] == 150
    books = api.get(f"/v1/admin/reconciliation?member_id={member_id}", key="admin")
    assert books.json_body["ok"] is True


def test_redemptions_a_day_past_the_limit_are_refused__a_retry_still_gets_its_answer(api):
    _limits(api, max_redemptions_per_member_per_day=1)
    member_id = api.enroll()
    api.buy(member_id, "o-1", 50_000)
    path = f"/v1/members/{member_id}/redemptions"
    first = api.post(path, {"order_id": "o-2", "points": 100})
    assert first.status_code == 201
    refused = api.post(path, {"order_id": "o-3", "points": 100})
    assert refused.status_code == 409
    error = refused.json_body["error"]
    assert error["code"] == "limit_reached"
    assert error["param"] == "limits.max_redemptions_per_member_per_day"
    retried = api.post(path, {"order_id": "o-2", "points": 100})
    assert retried.status_code == 201 and retried.json_body == first.json_body
    assert api.get(f"/v1/members/{member_id}").json_body["points_balance"] == 400


def test_coupons_a_day_past_the_limit_are_refused_for_admins_and_exchanges(api):
    tea = next(t for t in DEMO_TEMPLATES if t.template_id == "tea-voucher")
    api.post(T, tea.model_dump(mode="json"), key="admin")
    _limits(api, max_coupons_per_member_per_day=1)
    member_id = api.enroll()
    api.buy(member_id, "o-1", 200_000)
    given = api.post(f"{T}/tea-voucher/issue", {"member_id": member_id}, key="admin")
    assert given.status_code == 201
    again = api.post(f"{T}/tea-voucher/issue", {"member_id": member_id}, key="admin")
    assert again.status_code == 409
    assert again.json_body["error"]["param"] == "limits.max_coupons_per_member_per_day"
    exchanged = api.post(
        f"/v1/members/{member_id}/coupons/exchange", {"template_id": "tea-voucher"}
    )
    assert exchanged.status_code == 409
    assert exchanged.json_body["error"]["code"] == "limit_reached"
    member = api.get(f"/v1/members/{member_id}").json_body
    assert member["points_balance"] == 2_000  # nothing spent on the refused exchange
    assert len(api.get(f"/v1/members/{member_id}/coupons").json_body["usable"]) == 1


def test_limits_are_checked_as_a_program_field(api):
    program = api.get("/v1/admin/program", key="admin").json_body
    program["limits"]["max_redemptions_per_member_per_day"] = 0
    refused = api.put("/v1/admin/program", program, key="admin")
    assert refused.status_code == 422
    assert "max_redemptions_per_member_per_day" in refused.json_body["error"]["param"]
