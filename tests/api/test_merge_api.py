"""合并 over HTTP: one person enrolled twice (a POS phone, a web-shop email) becomes one member.
The survivor takes the identities, every lot with its own expiry, pending points, debt, growth,
coupons and orders; the merged member answers member_merged; the books add up before and after."""

from chalicelib.demo import DEMO_TEMPLATES
from chalicelib.domain.program import WalletRules
from chalicelib.services import merges
from chalicelib.store.unit_of_work import UnitOfWork
from tests.conftest import set_program

T = "/v1/admin/coupon-templates"


def _merge(api, into, source, **kw):
    return api.post(
        f"/v1/admin/members/{into}/merge", {"from_member_id": source}, key="admin", **kw
    )


def _member(api, member_id):
    return api.get(f"/v1/members/{member_id}").json_body


def _books_ok(api):
    books = api.get("/v1/admin/reconciliation", key="admin").json_body
    assert books["ok"] is True, books["mismatches"]
    return books["totals"]


def _lots(brand, member_id):
    _, lots = brand.members.load(member_id, merged_ok=True)
    return {lot.lot_id: (lot.remaining, lot.expires_at, lot.pending) for lot in lots}


def _window(api, days):
    program = api.get("/v1/admin/program", key="admin").json_body
    program["return_window_days"] = days
    assert api.put("/v1/admin/program", program, key="admin").status_code == 200


def test_the_survivor_takes_everything__the_merged_member_points_to_it(api, brand, clock):
    _window(api, 7)
    pos = api.enroll(phone="13800138000")
    web = api.enroll(email="li.lei@example.com")
    api.buy(web, "w-1", 10_000)  # 100 points, vesting in 7 days
    clock.advance(days=8)
    api.buy(web, "w-2", 5_000)  # 50 pending
    api.buy(pos, "p-1", 2_000)  # 20 pending
    template = DEMO_TEMPLATES[0].model_dump(mode="json")
    assert api.post(T, template, key="admin").status_code == 201
    issued = api.post(
        f"{T}/{template['template_id']}/issue", {"member_id": web, "issue_id": "i-1"}, key="admin"
    )
    assert issued.status_code == 201, issued.json_body
    code = issued.json_body["coupon"]["code"]
    email_shown = _member(api, web)["email"]
    lots_before = _lots(brand, web)
    totals_before = _books_ok(api)

    merged = _merge(api, pos, web)
    assert merged.status_code == 200, merged.json_body
    out = merged.json_body
    assert out["from_member_id"] == web
    assert out["moved"] == {
        "identities": 1,
        "lots": 2,
        "points": 100,
        "pending": 50,
        "debt": 0,
        "lifetime_points": 150,
        "growth": 150,  # 成长值: one a yuan, by default
        "records": 4,  # the coupon, its template count, two orders
    }
    survivor = out["member"]
    assert survivor["member_id"] == pos
    assert (survivor["points_balance"], survivor["points_pending"]) == (100, 70)
    assert survivor["lifetime_points"] == 170 and survivor["growth_total"] == 170
    assert sorted(survivor["identity_kinds"]) == ["email", "phone"]
    assert survivor["email"] == email_shown and survivor["phone"] is not None
    # each lot kept its own points, expiry and vesting
    after = _lots(brand, pos)
    assert {k: v for k, v in after.items() if k in lots_before} == lots_before
    assert _lots(brand, web) == {}
    # the totals are the same, and each member's books add up
    assert _books_ok(api) == {**totals_before, "as_of": _books_ok(api)["as_of"]}

    # the merged member points at the survivor
    gone = api.get(f"/v1/members/{web}")
    assert gone.status_code == 409
    assert gone.json_body["error"]["code"] == "member_merged"
    assert gone.json_body["error"]["merged_into"] == pos
    assert gone.headers["Location"] == f"/v1/members/{pos}"
    bought = api.post(
        f"/v1/members/{web}/purchases", {"order_id": "w-3", "amount": 100, "currency": "CNY"}
    )
    assert bought.status_code == 409 and bought.json_body["error"]["code"] == "member_merged"
    found = api.post("/v1/members/lookup", {"email": "li.lei@example.com"})
    assert found.json_body["member_id"] == pos
    again = api.post("/v1/members", {"email": "li.lei@example.com"})
    assert (again.status_code, again.json_body["member_id"]) == (200, pos)
    # its history stays where it was written; the survivor's ledger says where points came from
    history = api.get(f"/v1/members/{web}/ledger").json_body["entries"]
    assert history[0]["kind"] == "merge_out" and history[0]["points"] == -150
    ledger = api.get(f"/v1/members/{pos}/ledger").json_body["entries"]
    assert ledger[0]["kind"] == "merge_in" and web in ledger[0]["reason"]

    # the coupon and the orders moved: the coupon is usable here, the web order refundable here
    coupons = api.get(f"/v1/members/{pos}/coupons").json_body["usable"]
    assert code in [c["code"] for c in coupons]
    refund = {"order_id": "w-2", "amount": 5_000}
    refunded = api.post(f"/v1/members/{pos}/refunds", refund)
    assert refunded.status_code == 201, refunded.json_body
    assert refunded.json_body["points_clawed_back"] == 50
    assert _member(api, pos)["points_pending"] == 20
    _books_ok(api)

    # asked again: what it did, nothing twice
    repeated = _merge(api, pos, web)
    assert repeated.status_code == 200 and repeated.json_body["moved"] == out["moved"]
    assert _member(api, pos)["points_balance"] == 100


def test_a_debt_moves_with_the_points_and_is_paid_off_by_what_the_survivor_has(api):
    pos = api.enroll(phone="13800138000")
    web = api.enroll(email="li.lei@example.com")
    api.buy(web, "w-1", 10_000)  # 100 points
    spent = api.post(f"/v1/members/{web}/redemptions", {"order_id": "w-2", "points": 100})
    assert spent.status_code == 201, spent.json_body
    refunded = api.post(f"/v1/members/{web}/refunds", {"order_id": "w-1", "amount": 10_000})
    assert refunded.json_body["member"]["points_debt"] == 100
    api.buy(pos, "p-1", 3_000)  # 30 points
    out = _merge(api, pos, web).json_body
    assert out["moved"]["debt"] == 100
    survivor = out["member"]
    assert (survivor["points_balance"], survivor["points_debt"]) == (0, 70)
    kinds = [e["kind"] for e in api.get(f"/v1/members/{pos}/ledger").json_body["entries"]]
    assert kinds[:2] == ["debt_repayment", "merge_in"]
    _books_ok(api)


def test_a_merge_cut_short_goes_on_where_it_stopped(api, brand, monkeypatch):
    pos = api.enroll(phone="13800138000")
    web = api.enroll(email="li.lei@example.com")
    for n in range(5):
        api.buy(web, f"w-{n}", 1_000 * (n + 1))  # five lots: 10 + 20 + ... + 50 points
    monkeypatch.setattr(merges, "LOTS_PER_STEP", 2)
    monkeypatch.setattr(merges, "RECORDS_PER_STEP", 2)
    commit = UnitOfWork.commit
    commits = []

    def failing_third(self):
        commits.append(1)
        if len(commits) == 3:
            raise RuntimeError("the Lambda timed out here")
        commit(self)

    monkeypatch.setattr(UnitOfWork, "commit", failing_third)
    cut = _merge(api, pos, web)
    assert cut.status_code == 500  # two steps done: the first, and two lots
    monkeypatch.setattr(UnitOfWork, "commit", commit)
    assert api.get(f"/v1/members/{web}").json_body["error"]["code"] == "member_merged"
    assert _member(api, pos)["points_balance"] == 30  # the two soonest-expiring lots
    _books_ok(api)  # between steps, too

    done = _merge(api, pos, web)
    assert done.status_code == 200, done.json_body
    assert done.json_body["moved"]["lots"] == 5 and done.json_body["moved"]["points"] == 150
    assert done.json_body["moved"]["records"] == 5  # the orders
    assert _member(api, pos)["points_balance"] == 150
    outs = [e for e in api.get(f"/v1/members/{web}/ledger").json_body["entries"]]
    assert sum(e["points"] for e in outs if e["kind"] == "merge_out") == -150
    _books_ok(api)


def test_merges_that_cannot_be(api, brand):
    a = api.enroll(phone="13800138000")
    b = api.enroll(phone="13800138001")
    c = api.enroll(phone="13800138002")
    itself = _merge(api, a, a)
    assert itself.status_code == 409 and itself.json_body["error"]["code"] == "merge_refused"
    assert _merge(api, a, "mem_nope").status_code == 422  # not a member id at all
    unknown = _merge(api, a, "mem_" + "0" * 26)
    assert unknown.status_code == 404 and unknown.json_body["error"]["param"] == "from_member_id"
    storefront = api.post(f"/v1/admin/members/{a}/merge", {"from_member_id": b})
    assert storefront.status_code == 403
    extra = api.post(
        f"/v1/admin/members/{a}/merge", {"from_member_id": b, "points": 5}, key="admin"
    )
    assert extra.status_code == 422
    assert _merge(api, a, b).status_code == 200
    elsewhere = _merge(api, c, b)  # b is a's now
    assert elsewhere.status_code == 409 and elsewhere.json_body["error"]["code"] == "merge_refused"
    into_merged = _merge(api, b, c)
    assert into_merged.status_code == 409
    assert into_merged.json_body["error"]["code"] == "member_merged"
    set_program(brand, wallet=WalletRules())
    topped = api.post(f"/v1/members/{c}/wallet/topups", {"payment_id": "pay-1", "amount": 100})
    assert topped.status_code == 201, topped.json_body
    refused = _merge(api, a, c)  # prepaid money stays with the person who paid it
    assert refused.status_code == 409 and refused.json_body["error"]["param"] == "from_member_id"
    assert "stored-value" in refused.json_body["error"]["message"]
    assert _member(api, c)["member_id"] == c  # nothing of it was written


def test_a_top_up_racing_the_first_step_fails_it__and_the_merge_is_refused(api, brand, monkeypatch):
    set_program(brand, wallet=WalletRules())
    a, b = api.enroll(phone="13800138000"), api.enroll(phone="13800138001")
    topped = api.post(f"/v1/members/{b}/wallet/topups", {"payment_id": "pay-1", "amount": 100})
    assert topped.status_code == 201
    load = brand.wallets.load
    reads = []

    def first_read_before_the_top_up(member_id):
        reads.append(member_id)
        return (True, None, None) if len(reads) == 1 else load(member_id)

    monkeypatch.setattr(brand.wallets, "load", first_read_before_the_top_up)
    refused = _merge(api, a, b)
    assert len(reads) == 2  # the first step's write failed on the wallet, and was read again
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "merge_refused"
    assert _member(api, b)["member_id"] == b
