"""风控 velocity signals: counted per brand-local day, never blocking, a signal (and a
`risk.signal` event) once a count reaches the program's threshold, shown to the merchant."""

from datetime import UTC, datetime

R = "/v1/admin/risk/signals"


def test_many_members_from_one_device_or_network_are_signalled_once_and_still_enrolled(
    api, clock, pump
):
    clock.now = datetime(2026, 11, 2, 2, tzinfo=UTC)  # 10:00 in Shanghai
    for n in range(4):
        body = {"phone": f"1380013800{n}", "device_id": "dev-abc", "client_ip": "203.0.113.9"}
        assert api.post("/v1/members", body).status_code == 201  # never blocked
    pump()  # counted off the stream, a second or so after
    pump()  # a redelivered batch: nothing counted twice
    seen = api.get(R, key="admin").json_body
    today = seen["days"][0]
    assert today["day"] == "2026-11-02" and today["counts"] == {"enrollments_per_device": 1}
    (signal,) = today["signals"]
    assert signal["subject"].startswith("device:") and "dev-abc" not in signal["subject"]
    assert signal["threshold"] == 3 and seen["total"] == 1 and len(seen["days"]) == 7
    assert api.get(R).status_code == 403  # admin only


def test_a_network_threshold_and_the_next_day_counts_again(api, clock, pump):
    program = api.get("/v1/admin/program", key="admin").json_body
    program["risk"]["enrollments_per_ip_range"] = 2
    api.put("/v1/admin/program", program, key="admin")
    api.post("/v1/members", {"phone": "13800138000", "client_ip": "198.51.100.7"})
    api.post("/v1/members", {"phone": "13800138001", "client_ip": "198.51.100.200"})
    clock.advance(days=1)
    api.post("/v1/members", {"phone": "13800138002", "client_ip": "198.51.100.8"})
    pump()
    days = api.get(R, key="admin").json_body["days"]
    assert days[0]["counts"] == {} and days[1]["counts"] == {"enrollments_per_ip_range": 1}
    assert days[1]["signals"][0]["subject"] == "ip:198.51.100.0/24"
    bad = api.post("/v1/members", {"phone": "13800138003", "client_ip": "not-an-ip"})
    assert bad.status_code == 422 and bad.json_body["error"]["param"] == "client_ip"


def test_redemption_bursts_and_refunds_after_redeeming(api, pump):
    program = api.get("/v1/admin/program", key="admin").json_body
    program["risk"].update(redemptions_per_member=3, refunds_after_redeem_per_member=1)
    api.put("/v1/admin/program", program, key="admin")
    member_id = api.enroll()
    api.buy(member_id, "o-1", 100_000)
    for n in range(4):
        body = {"order_id": f"r-{n}", "points": 100}
        assert api.post(f"/v1/members/{member_id}/redemptions", body).status_code == 201
    refund = {"order_id": "r-0", "amount": 100}
    api.buy(member_id, "r-0", 5_000)
    assert api.post(f"/v1/members/{member_id}/refunds", refund).status_code in (200, 201)
    pump()
    counts = api.get(R, key="admin").json_body["days"][0]["counts"]
    assert counts == {"redemptions_per_member": 1, "refunds_after_redeem_per_member": 1}


def test_a_range_past_a_month_or_backwards_is_refused(api):
    long = api.get(f"{R}?from=2026-01-01&to=2026-03-01", key="admin")
    assert long.status_code == 422 and long.json_body["error"]["param"] == "from"
    backwards = api.get(f"{R}?from=2026-03-02&to=2026-03-01", key="admin")
    assert backwards.status_code == 422
    assert api.get(f"{R}?from=yesterday", key="admin").status_code == 422
