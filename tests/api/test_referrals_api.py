"""邀请 over HTTP: a code per member, the friend enrols with it, both are rewarded by the
friend's first purchase (pending until its return window ends), a refund of it within the
window takes both back; self-referrals, one device for many friends and rings are refused."""

from chalicelib.domain.referrals import CODE_LENGTH

REFERRAL = {
    "enabled": True,
    "referrer_points": 200,
    "friend_points": 50,
    "min_order_amount": 1_000,
    "max_rewards_per_month": 2,
}


def _program(api, window=7, **referral):
    program = api.get("/v1/admin/program", key="admin").json_body
    program["referral"] = {**REFERRAL, **referral}
    program["return_window_days"] = window
    put = api.put("/v1/admin/program", program, key="admin")
    assert put.status_code == 200, put.json_body


def _enroll(api, phone, **body):
    response = api.post("/v1/members", {"phone": phone, **body})
    assert response.status_code in (200, 201), response.json_body
    return response.json_body


def _member(api, member_id):
    return api.get(f"/v1/members/{member_id}").json_body


def test_both_are_rewarded_at_the_friends_first_purchase__pending_until_the_window_ends(api, clock):
    _program(api)
    referrer = _enroll(api, "13800138000")
    code = referrer["referral_code"]
    assert len(code) == CODE_LENGTH
    friend = _enroll(api, "13800138001", referred_by=code.lower())  # any case
    assert friend["referral"] == {"status": "waiting", "reason": None}
    small = api.buy(friend["member_id"], "o-0", 500)  # under min_order_amount: no reward
    assert small["referral_points"] == 0
    first = api.buy(friend["member_id"], "o-1", 10_000)
    assert first["referral_points"] == 50
    assert first["member"]["points_pending"] == 100 + 50 + 5
    assert _member(api, referrer["member_id"])["points_pending"] == 200
    assert api.buy(friend["member_id"], "o-2", 10_000)["referral_points"] == 0  # once
    listed = api.get(f"/v1/members/{referrer['member_id']}/referrals").json_body
    assert listed["referral_code"] == code and listed["rewarded_this_month"] == 1
    (entry,) = listed["friends"]
    assert (entry["member_id"], entry["status"], entry["order_id"]) == (
        friend["member_id"],
        "pending",
        "o-1",
    )
    clock.advance(days=8)  # the window ended: spendable, and a refund no longer takes it back
    assert _member(api, referrer["member_id"])["points_balance"] == 200
    refund = {"order_id": "o-1", "amount": 10_000}
    refunded = api.post(f"/v1/members/{friend['member_id']}/refunds", refund).json_body
    assert refunded["referral_points_taken_back"] == 0
    status = api.get(f"/v1/members/{referrer['member_id']}/referrals").json_body
    assert status["friends"][0]["status"] == "rewarded"
    ledger = api.get(f"/v1/members/{referrer['member_id']}/ledger").json_body["entries"]
    assert [e["kind"] for e in ledger] == ["vest", "referral"]
    for member_id in (referrer["member_id"], friend["member_id"]):
        books = api.get(f"/v1/admin/reconciliation?member_id={member_id}", key="admin")
        assert books.json_body["ok"] is True, books.json_body


def test_a_first_purchase_refunded_within_the_window_takes_both_rewards_back(api):
    _program(api)
    referrer = _enroll(api, "13800138000")
    friend = _enroll(api, "13800138001", referred_by=referrer["referral_code"])
    api.buy(friend["member_id"], "o-1", 10_000)
    partial = {"order_id": "o-1", "amount": 5_000, "refund_id": "r-1"}
    kept = api.post(f"/v1/members/{friend['member_id']}/refunds", partial).json_body
    assert kept["referral_points_taken_back"] == 0  # 50.00 stays: above min_order_amount
    rest = {"order_id": "o-1", "amount": 5_000, "refund_id": "r-2"}
    gone = api.post(f"/v1/members/{friend['member_id']}/refunds", rest).json_body
    assert gone["referral_points_taken_back"] == 50
    assert gone["member"]["points_pending"] == 0 and gone["member"]["points_balance"] == 0
    after = _member(api, referrer["member_id"])
    assert (after["points_pending"], after["points_balance"], after["points_debt"]) == (0, 0, 0)
    listed = api.get(f"/v1/members/{referrer['member_id']}/referrals").json_body
    assert listed["friends"][0]["status"] == "clawed_back"
    assert api.buy(friend["member_id"], "o-2", 10_000)["referral_points"] == 0  # not again
    for member_id in (referrer["member_id"], friend["member_id"]):
        books = api.get(f"/v1/admin/reconciliation?member_id={member_id}", key="admin")
        assert books.json_body["ok"] is True, books.json_body


def test_self_referrals_reused_devices_and_rings_are_refused_but_the_member_enrols(api):
    _program(api)
    referrer = _enroll(api, "13800138000", device_id="phone-a")
    code = referrer["referral_code"]
    itself = _enroll(api, "13800138000", referred_by=code)
    assert itself["referral"] == {"status": "refused", "reason": "self_referral"}
    same = _enroll(api, "13800138001", device_id="phone-a", referred_by=code)
    assert same["referral"]["reason"] == "same_device" and same["member_id"]
    first = _enroll(api, "13800138002", device_id="phone-b", referred_by=code)
    assert first["referral"]["status"] == "waiting"
    again = _enroll(api, "13800138003", device_id="phone-b", referred_by=code)
    assert again["referral"]["reason"] == "device_reused"
    ring = _enroll(api, "13800138004", device_id="phone-a", referred_by=first["referral_code"])
    assert ring["referral"]["reason"] == "ring"  # the grand-referrer's own device
    friends = api.get(f"/v1/members/{referrer['member_id']}/referrals").json_body["friends"]
    assert [f["member_id"] for f in friends] == [first["member_id"]]


def test_the_referrers_monthly_limit_holds_its_reward_back_not_the_friends(api):
    _program(api, window=0)
    referrer = _enroll(api, "13800138000")
    for n in range(3):
        friend = _enroll(api, f"1380013801{n}", referred_by=referrer["referral_code"])
        assert api.buy(friend["member_id"], f"o-{n}", 10_000)["referral_points"] == 50
    assert _member(api, referrer["member_id"])["points_balance"] == 400
    listed = api.get(f"/v1/members/{referrer['member_id']}/referrals").json_body
    assert listed["rewarded_this_month"] == 2
    assert sorted(f["referrer_capped"] for f in listed["friends"]) == [False, False, True]


def test_bad_codes_and_a_program_without_referrals(api):
    unknown = api.post("/v1/members", {"phone": "13800138001", "referred_by": "ZZZZZZZZ"})
    assert unknown.status_code == 422 and unknown.json_body["error"]["param"] == "referred_by"
    assert api.post("/v1/members/lookup", {"phone": "13800138001"}).status_code == 404
    referrer = _enroll(api, "13800138000")
    off = _enroll(api, "13800138002", referred_by=referrer["referral_code"])
    assert off["referral"] == {"status": "refused", "reason": "referrals_off"}
    long = api.post("/v1/members", {"phone": "13800138003", "referred_by": "x" * 17})
    assert long.status_code == 422


def test_the_same_enrolment_sent_again_answers_as_the_referral_stands(api):
    _program(api)
    referrer = _enroll(api, "13800138000")
    body = {"phone": "13800138001", "referred_by": referrer["referral_code"]}
    first = api.post("/v1/members", body)
    again = api.post("/v1/members", body)  # a storefront retry without an Idempotency-Key
    assert first.status_code == 201 and again.status_code == 200
    assert again.json_body["referral"] == {"status": "waiting", "reason": None}
    other = _enroll(api, "13800138002")
    late = api.post("/v1/members", {"phone": "13800138001", "referred_by": other["referral_code"]})
    assert late.json_body["referral"] == {"status": "refused", "reason": "already_member"}
