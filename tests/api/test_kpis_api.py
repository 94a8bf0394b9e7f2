"""数据看板 over HTTP: the figures of a day's trade, the merchant's key only, bad ranges named."""


def test_a_days_trade_in_the_figures(api):
    a, b = api.enroll(phone="13800138000"), api.enroll(phone="13800138001")
    api.buy(a, "o-1", 10_000)
    api.buy(a, "o-2", 5_000)  # the same member again that day: one purchaser
    api.buy(b, "o-3", 2_500)
    refunded = api.post(f"/v1/members/{a}/refunds", {"order_id": "o-2", "amount": 5_000})
    assert refunded.status_code == 201, refunded.json_body
    answer = api.get("/v1/admin/kpis?grain=week", key="admin")
    assert answer.status_code == 200, answer.json_body
    out = answer.json_body
    week = out["periods"][-1]
    assert (week["members_new"], week["orders"], week["purchasers"]) == (2, 3, 2)
    assert (week["sales"], week["refunded_amount"], week["net_sales"]) == (17_500, 5_000, 12_500)
    assert week["average_order_value"] == 17_500 // 3
    assert week["points_earned"] == 175 and week["points_clawed_back"] == 50
    now = out["now"]
    assert (now["members"], now["active_7d"], now["active_ratio_7d"]) == (2, 2, 1.0)
    assert now["repurchase_rate_30d"] == 0.0  # nobody bought on two days yet
    assert [w["code"] for w in now["warnings"]] == ["repurchase_rate_30d_low"]
    assert now["warnings"][0]["message"]["zh"] == "近30日复购率低于25%"
    assert now["liability"]["points_outstanding"] == 125


def test_only_the_merchant_and_bad_ranges_named(api):
    assert api.get("/v1/admin/kpis").status_code == 403  # a storefront key
    cases = {
        "?grain=year": "grain",
        "?from=2026-03-02&to=2026-03-01": "from",
        "?from=2024-01-01&to=2026-03-01": "from",
        "?from=yesterday": "from",
        "?limit=5": "limit",
    }
    for query, param in cases.items():
        answer = api.get(f"/v1/admin/kpis{query}", key="admin")
        assert answer.status_code in (400, 422), (query, answer.json_body)
        assert answer.json_body["error"]["param"] == param, (query, answer.json_body)


def test_the_storefronts_every_sale_gives_the_members_share(api, clock):
    member_id = api.enroll(phone="13800138000")
    api.buy(member_id, "o-1", 30_000)
    today = api.get("/v1/admin/kpis", key="admin").json_body["last_day"]
    first = {"day": today, "orders": 10, "amount": 100_000, "currency": "CNY"}
    reported = api.post("/v1/admin/sales-totals", first, key="admin")
    assert reported.status_code == 200, reported.json_body
    corrected = {**first, "orders": 12, "amount": 120_000}  # the last report of a day wins
    assert api.post("/v1/admin/sales-totals", corrected, key="admin").json_body["orders"] == 12
    day = api.get("/v1/admin/kpis", key="admin").json_body["periods"][-1]
    assert (day["all_orders"], day["all_sales"]) == (12, 120_000)
    assert day["members_share_of_sales"] == 0.25 and day["average_order_value_all"] == 10_000
    yesterday = api.get("/v1/admin/kpis", key="admin").json_body["periods"][-2]
    assert yesterday["all_sales"] is None and yesterday["members_share_of_sales"] is None


def test_bad_sales_reports_name_the_field_and_write_nothing(api):
    today = api.get("/v1/admin/kpis", key="admin").json_body["last_day"]
    good = {"day": today, "orders": 1, "amount": 100, "currency": "CNY"}
    cases = [
        ({**good, "currency": "USD"}, "currency"),
        ({**good, "day": "2099-01-01"}, "day"),
        ({**good, "orders": -1}, "orders"),
        ({**good, "amount": 1.5}, "amount"),
        ({**good, "note": "x"}, "note"),
    ]
    for body, param in cases:
        answer = api.post("/v1/admin/sales-totals", body, key="admin")
        assert answer.status_code == 422, (body, answer.json_body)
        assert answer.json_body["error"]["param"] == param
    assert api.post("/v1/admin/sales-totals", good).status_code == 403  # a storefront key
    day = api.get("/v1/admin/kpis", key="admin").json_body["periods"][-1]
    assert day["all_sales"] is None
