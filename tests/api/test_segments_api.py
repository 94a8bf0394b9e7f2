"""Segments and RFM over HTTP: defined and replaced with the merchant's key, counted from the
nightly sample once the RFM job ran, bad rules named, nothing for a storefront key."""

SEGMENT = {
    "segment_id": "big-spenders",
    "name": "Big spenders 高消费",
    "rules": {"m_min": 4, "lifecycle": ["active"]},
}


def test_a_segment_defined_counted_replaced_and_removed(api):
    buyers = [api.enroll(phone=f"1380013800{i}") for i in range(5)]
    for i, member_id in enumerate(buyers):
        api.buy(member_id, f"o-{i}", (i + 1) * 10_000)
    created = api.post("/v1/admin/segments", SEGMENT, key="admin")
    assert created.status_code == 201, created.json_body
    assert created.json_body["version"] == 1
    again = api.post("/v1/admin/segments", SEGMENT, key="admin")
    assert again.status_code == 409 and again.json_body["error"]["code"] == "segment_exists"
    early = api.get("/v1/admin/segments/big-spenders/count", key="admin")
    assert early.status_code == 409 and early.json_body["error"]["code"] == "rfm_sample_missing"

    ran = api.post("/v1/admin/jobs/rfm", {"dry_run": False}, key="admin")
    assert ran.status_code == 200, ran.json_body
    counted = api.get("/v1/admin/segments/big-spenders/count", key="admin").json_body
    # five buyers, one order each: the top two fifths of monetary value are the two biggest
    assert (counted["members"], counted["sampled"], counted["population"]) == (2, 5, 5)
    assert counted["whole_population_sampled"] is True
    preview = api.post("/v1/admin/segments/count", {"rules": {"m_max": 1}}, key="admin")
    assert preview.json_body["members"] == 1
    # one shape for a segment and a trial of its rules (issue 32): top-level rules are refused
    flat = api.post("/v1/admin/segments/count", {"m_max": 1}, key="admin")
    assert flat.status_code == 422 and flat.json_body["error"]["param"] == "rules"

    overview = api.get("/v1/admin/rfm", key="admin").json_body
    assert sum(cell["members"] for cell in overview["grid"]) == 5
    assert {s["segment"] for s in overview["segments"] if s["members"]} <= {
        "champions",
        "loyal",
        "new",
        "promising",
        "needs_attention",
        "hibernating",
        "at_risk",
        "cannot_lose",
    }
    top = api.get(f"/v1/admin/members/{buyers[-1]}/rfm", key="admin").json_body
    assert (top["recency_days"], top["frequency"], top["monetary"], top["m"]) == (0, 1, 50_000, 5)
    assert top["segment_name"]["zh"]

    stale = {**SEGMENT, "name": "Bigger", "version": 7}
    conflict = api.put("/v1/admin/segments/big-spenders", stale, key="admin")
    assert conflict.status_code == 409 and conflict.json_body["error"]["code"] == "version_conflict"
    replaced = api.put(
        "/v1/admin/segments/big-spenders", {**SEGMENT, "name": "Bigger", "version": 1}, key="admin"
    )
    assert replaced.status_code == 200 and replaced.json_body["version"] == 2
    listed = api.get("/v1/admin/segments", key="admin").json_body["segments"]
    assert [s["name"] for s in listed] == ["Bigger"]
    removed = api.call("DELETE", "/v1/admin/segments/big-spenders", key="admin")
    assert removed.status_code == 200, removed.json_body
    assert api.get("/v1/admin/segments/big-spenders", key="admin").status_code == 404


def test_bad_rules_are_named_and_storefronts_kept_out(api):
    assert api.get("/v1/admin/segments").status_code == 403
    assert api.post("/v1/admin/segments", SEGMENT).status_code == 403
    cases = {
        "r_min": {**SEGMENT, "rules": {"r_min": 6}},
        "f_max": {**SEGMENT, "rules": {"f_min": 4, "f_max": 2}},
        "colour": {**SEGMENT, "rules": {"colour": "red"}},
        "segment_id": {**SEGMENT, "segment_id": "Not A Slug!"},
        "rfm_segments": {**SEGMENT, "rules": {"rfm_segments": ["whales"]}},
        "birthday_months": {**SEGMENT, "rules": {"birthday_months": [13]}},
    }
    for param, body in cases.items():
        answer = api.post("/v1/admin/segments", body, key="admin")
        assert answer.status_code in (400, 422), (param, answer.json_body)
        assert param in (answer.json_body["error"]["param"] or ""), (param, answer.json_body)
    assert api.get("/v1/admin/segments", key="admin").json_body["segments"] == []
    mismatch = api.put("/v1/admin/segments/other", SEGMENT, key="admin")
    assert mismatch.status_code in (400, 404, 422), mismatch.json_body


def test_a_template_issued_to_a_segment_once_each_across_calls(api, brand):
    from tests.helpers import add_templates, template

    add_templates(brand, template("thanks", per_member_limit=None, total_stock=None))
    vips = []
    for i in range(5):
        member_id = api.enroll(phone=f"1380013800{i}")
        if i % 2 == 0:
            patched = api.call("PATCH", f"/v1/members/{member_id}", {"tags": ["vip"]}, key="admin")
            assert patched.status_code == 200, patched.json_body
            vips.append(member_id)
    segment = {"segment_id": "vips", "name": "VIP", "rules": {"tags_any": ["vip"]}}
    assert api.post("/v1/admin/segments", segment, key="admin").status_code == 201
    path = "/v1/admin/segments/vips/issues"
    body = {"campaign_id": "spring", "template_id": "thanks", "max_pages": 1}
    first = api.post(path, body, key="admin")
    assert first.status_code == 201, first.json_body
    out = first.json_body
    while out["status"] == "running":  # a page at a time, as a stopped run goes on
        out = api.post(path, body, key="admin").json_body
    assert (out["status"], out["matched"], out["issued"], out["members_read"]) == (
        "finished",
        3,
        3,
        5,
    )
    again = api.post(path, body, key="admin").json_body  # done: changes nothing
    assert (again["issued"], again["status"]) == (3, "finished")
    held = {
        m: [c["template_id"] for c in api.get(f"/v1/members/{m}/coupons").json_body["usable"]]
        for m in vips
    }
    assert held == {m: ["thanks"] for m in vips}
    status = api.get("/v1/admin/segments/vips/issues/spring", key="admin").json_body
    assert status == again

    # the same campaign id for another template, an unknown template, a missing campaign
    other = api.post(path, {**body, "template_id": "other"}, key="admin")
    assert other.status_code == 422 and other.json_body["error"]["param"] == "campaign_id"
    unknown = api.post(path, {**body, "campaign_id": "x", "template_id": "nope"}, key="admin")
    assert unknown.status_code == 404 and unknown.json_body["error"]["param"] == "template_id"
    missing = api.get("/v1/admin/segments/vips/issues/nope", key="admin")
    assert missing.status_code == 404
