"""The nightly runs through the admin API: run expiry now (dry run by default), read the records."""

from datetime import UTC, datetime

import pytest

from chalicelib.domain.program import RollingExpiry
from tests.conftest import set_program


@pytest.mark.long
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


@pytest.mark.long
def test_every_job_by_name__chosen_dates__one_run_record__and_bad_requests(api, brand, clock):
    set_program(brand, expiry=RollingExpiry(months=1, reminder_days=[7]))
    member_id = api.enroll()
    api.post(
        f"/v1/members/{member_id}/purchases",
        {"order_id": "o-1", "amount": 10_000, "currency": "CNY"},
    )
    clock.now = datetime(2026, 3, 25, 2, tzinfo=UTC)  # 10:00 on 25 March in Shanghai
    ran = api.post(
        "/v1/admin/jobs/all",
        {"date": "2026-03-24", "until": "2026-03-25", "dry_run": False},
        key="admin",
    )
    assert ran.status_code == 200, ran.json_body
    jobs = [(r["job"], r["business_date"]) for r in ran.json_body["runs"]]
    # expiry, the day-end figures and the books do only the day that is over; the others both days
    assert ("expiry", "2026-03-24") in jobs and ("expiry", "2026-03-25") not in jobs
    assert ("reminders", "2026-03-25") in jobs and ("tier-review", "2026-03-25") in jobs
    assert ran.json_body["not_run"] == [
        {"job": job, "business_date": "2026-03-25", "reason": "not over yet"}
        for job in ("expiry", "figures", "reconcile")
    ]
    assert ran.json_body["totals"]["members_reminded"] == 1  # 7 days before 1 April
    run = next(r for r in ran.json_body["runs"] if r["job"] == "reminders")
    one = api.get(f"/v1/admin/jobs/reminders/runs/{run['run_id']}", key="admin")
    assert one.status_code == 200 and one.json_body == run
    vesting = api.post("/v1/admin/jobs/vesting", {"date": "2026-03-20"}, key="admin")
    assert vesting.status_code == 200 and vesting.json_body["runs"][0]["job"] == "expiry"
    wrong_job = api.get(f"/v1/admin/jobs/expiry/runs/{run['run_id']}", key="admin")
    assert wrong_job.status_code == 404 and wrong_job.json_body["error"]["param"] == "run_id"
    garbage = api.get("/v1/admin/jobs/expiry/runs/nope", key="admin")
    assert garbage.status_code == 404
    for body, param in (
        ({"until": "2026-03-25"}, "until needs date"),
        ({"date": "2026-03-25", "days_back": 2}, "not both"),
        ({"date": "2026-03-25", "until": "2026-03-01"}, "until must be"),
        ({"date": "25 March"}, "date"),
        ({"date": "2026-03-25", "shards": 3}, "shards"),
    ):
        bad = api.post("/v1/admin/jobs/expiry", body, key="admin")
        assert bad.status_code in (400, 422), bad.json_body
        error = bad.json_body["error"]
        assert param in error["message"] or param == error.get("param"), error
    bad_cursor = api.get("/v1/admin/jobs?cursor=abc", key="admin")
    assert (
        bad_cursor.status_code in (400, 422) and bad_cursor.json_body["error"]["param"] == "cursor"
    )
