"""The nightly runs through the admin API: run expiry now (dry run by default), read the records."""

from datetime import UTC, datetime

from chalicelib.domain.program import RollingExpiry
from tests.conftest import set_program


def test_expiry_over_http__dry_run_first_then_for_real__and_the_run_records(api, brand, clock):
    set_program(brand, expiry=RollingExpiry(months=1))
    member_id = api.enroll()
    bought = api.post(
        f"/v1/members/{member_id}/purchases",
        {"order_id": "o-1", "amount": 10_000, "currency": "CNY"},
    )
    assert bought.status_code == 201
    clock.now = datetime(2026, 4, 2, 1, tzinfo=UTC)
    dry = api.post("/v1/admin/jobs/expiry", {}, key="admin")
    assert dry.status_code == 200, dry.json_body
    assert dry.json_body["dry_run"] is True and dry.json_body["changed"] == 1
    assert [r["counts"].get("expired_points", 0) for r in dry.json_body["runs"]][-1] == 100
    real = api.post("/v1/admin/jobs/expiry", {"dry_run": False}, key="admin")
    assert real.json_body["changed"] == 1
    assert api.get(f"/v1/members/{member_id}").json_body["points_balance"] == 0
    again = api.post("/v1/admin/jobs/expiry", {"dry_run": False}, key="admin")
    assert again.json_body["changed"] == 0  # nights finished are not run again
    runs = api.get("/v1/admin/jobs?job=expiry&limit=2", key="admin")
    assert runs.status_code == 200 and len(runs.json_body["runs"]) == 2
    newest = runs.json_body["runs"][0]
    assert newest["job"] == "expiry" and newest["status"] == "finished"
    assert runs.json_body["next_cursor"] is not None
    rest = api.get(f"/v1/admin/jobs?job=expiry&cursor={runs.json_body['next_cursor']}", key="admin")
    assert rest.status_code == 200 and rest.json_body["runs"]
    assert api.get("/v1/admin/jobs").status_code == 403  # a storefront key
    unknown = api.post("/v1/admin/jobs/nightly", {}, key="admin")
    assert unknown.status_code == 404 and "expiry" in unknown.json_body["error"]["message"]
