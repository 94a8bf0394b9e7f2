"""签到 over HTTP: once a brand-local day, streaks across midnight and month ends, bonuses
(points and a coupon), make-ups, the calendar and the daily limit on check-in points."""

from datetime import UTC, datetime

from loyalty_tools.demo import DEMO_TEMPLATES

T = "/v1/admin/coupon-templates"
SHANGHAI_2359 = datetime(2026, 3, 30, 15, 59, tzinfo=UTC)  # 23:59 on 30 March in Shanghai


def _program(api, **checkin):
    tea = next(t for t in DEMO_TEMPLATES if t.template_id == "tea-voucher")
    api.post(T, tea.model_dump(mode="json"), key="admin")
    program = api.get("/v1/admin/program", key="admin").json_body
    program["checkin"] = {
        "enabled": True,
        "points": 5,
        "streak_bonuses": [{"day": 3, "points": 50}, {"day": 4, "coupon": "tea-voucher"}],
        "makeups_per_month": 1,
        "growth": 2,
        **checkin,
    }
    put = api.put("/v1/admin/program", program, key="admin")
    assert put.status_code == 200, put.json_body
    return program


def test_once_a_local_day__streak_over_midnight_and_the_month_end__bonuses(api, clock):
    clock.now = SHANGHAI_2359
    _program(api)
    member_id = api.enroll()
    path = f"/v1/members/{member_id}/check-ins"
    first = api.post(path, {})
    assert first.status_code == 201, first.json_body
    body = first.json_body
    assert (body["day"], body["points_earned"], body["streak"]) == ("2026-03-30", 5, 1)
    assert body["next_bonus"] == {"day": 3, "in_days": 2, "points": 50, "coupon": None}
    again = api.post(path, {})  # the same local day: the first answer, nothing more
    assert again.status_code == 201 and again.json_body == body
    clock.advance(minutes=2)  # 00:01 on the 31st in Shanghai (still the 30th in UTC)
    second = api.post(path, {}).json_body
    assert (second["day"], second["streak"], second["points_earned"]) == ("2026-03-31", 2, 5)
    clock.advance(days=1)  # 1 April: across the month end
    third = api.post(path, {}).json_body
    assert (third["day"], third["streak"], third["bonus_points"]) == ("2026-04-01", 3, 50)
    assert third["points_earned"] == 55 and third["member"]["points_balance"] == 65
    clock.advance(days=1)
    fourth = api.post(path, {}).json_body
    assert [c["template_id"] for c in fourth["coupons_issued"]] == ["tea-voucher"]
    assert fourth["member"]["growth_total"] == 8
    ledger = api.get(f"/v1/members/{member_id}/ledger").json_body["entries"]
    assert [(e["kind"], e["points"]) for e in ledger] == [
        ("checkin", 5),
        ("checkin", 55),
        ("checkin", 5),
        ("checkin", 5),
    ]
    march = api.get(f"{path}?month=2026-03").json_body
    assert [d["day"] for d in march["days"]] == ["2026-03-30", "2026-03-31"]
    april = api.get(path).json_body  # this month by default
    assert april["month"] == "2026-04" and april["streak"] == 4 and april["checked_in_today"]
    books = api.get(f"/v1/admin/reconciliation?member_id={member_id}", key="admin")
    assert books.json_body["ok"] is True, books.json_body


def test_a_missed_day_resets_the_streak_unless_made_up_once_a_month(api, clock):
    clock.now = datetime(2026, 11, 1, 4, tzinfo=UTC)
    _program(api)
    member_id = api.enroll()
    path = f"/v1/members/{member_id}/check-ins"
    api.post(path, {})  # 1 Nov
    clock.advance(days=2)  # the 2nd is missed
    assert api.post(path, {}).json_body["streak"] == 1  # 3 Nov: a new streak
    mended = api.post(path, {"make_up": "2026-11-02"})
    assert mended.status_code == 201, mended.json_body
    assert (mended.json_body["makeup"], mended.json_body["streak"]) == (True, 3)
    assert mended.json_body["bonus_points"] == 0  # a make-up pays no bonus...
    clock.advance(days=1)
    fourth = api.post(path, {}).json_body  # ...the next check-in pays what it passed
    assert fourth["streak"] == 4 and fourth["bonus_points"] == 50
    assert [c["template_id"] for c in fourth["coupons_issued"]] == ["tea-voucher"]
    retried = api.post(path, {"make_up": "2026-11-02"})  # the same make-up again
    assert retried.json_body == mended.json_body
    checked = api.post(path, {"make_up": "2026-11-01"})
    assert checked.status_code == 409 and checked.json_body["error"]["code"] == "already_checked_in"
    clock.advance(days=2)
    none_left = api.post(path, {"make_up": "2026-11-05"})
    assert none_left.status_code == 409
    assert none_left.json_body["error"]["code"] == "makeup_refused"
    last_month = api.post(path, {"make_up": "2026-10-31"})
    assert (
        last_month.status_code == 409 and "this month" in last_month.json_body["error"]["message"]
    )
    calendar = api.get(path).json_body
    assert calendar["makeups_left"] == 0 and calendar["streak"] == 0


def test_check_in_points_past_the_daily_limit_are_not_earned_and_the_limit_is_named(api, clock):
    program = _program(api)
    program["limits"]["max_checkin_points_per_day"] = 20
    program.pop("version", None)
    assert api.put("/v1/admin/program", program, key="admin").status_code == 200
    member_id = api.enroll()
    path = f"/v1/members/{member_id}/check-ins"
    for _ in range(2):
        api.post(path, {})
        clock.advance(days=1)
    third = api.post(path, {}).json_body
    assert (third["points_earned"], third["bonus_points"]) == (20, 50)
    assert third["capped_by"] == "limits.max_checkin_points_per_day"
    assert third["member"]["points_balance"] == 30


def test_bad_input_and_a_program_without_check_in(api):
    member_id = api.enroll()
    path = f"/v1/members/{member_id}/check-ins"
    off = api.post(path, {})
    assert off.status_code == 409 and off.json_body["error"]["code"] == "checkin_off"
    _program(api)
    assert api.post(path, {"day": "2026-03-01"}).status_code == 422  # unknown field
    bad_day = api.post(path, {"make_up": "yesterday"})
    assert bad_day.status_code == 422 and bad_day.json_body["error"]["param"] == "make_up"
    bad_month = api.get(f"{path}?month=2026-13")
    assert bad_month.status_code == 422 and bad_month.json_body["error"]["param"] == "month"
    assert api.post("/v1/members/mem_nobody/check-ins", {}).status_code == 404
    assert api.get(path).json_body["days"] == []  # nothing was written by the refusals
    keyed = api.post(path, {}, headers={"Idempotency-Key": "ci-1"})
    assert keyed.status_code == 201
    assert api.post(path, {}, headers={"Idempotency-Key": "ci-1"}).json_body == keyed.json_body
