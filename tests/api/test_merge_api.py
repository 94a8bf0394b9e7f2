"""合并 over HTTP: one person enrolled twice (a POS phone, a web-shop email) becomes one member.
The survivor takes the identities, every lot with its own expiry, pending points, debt, growth,
coupons and orders; the merged member answers member_merged; the books add up before and after."""

from chalicelib.domain.program import TopupBonus, WalletRules
from chalicelib.services import merges
from chalicelib.store.unit_of_work import UnitOfWork
from loyalty_tools.demo import DEMO_TEMPLATES
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
        "wallet_principal": 0,
        "wallet_bonus": 0,
        "records": 5,  # the coupon, its template count, two orders, the issue id used
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


W = "/v1/members/{}/wallet"


def _wallet(api, member_id):
    answer = api.get(W.format(member_id))
    assert answer.status_code == 200, answer.json_body
    return answer.json_body


def _entries(api, member_id):
    answer = api.get(W.format(member_id) + "/entries?limit=100")
    assert answer.status_code == 200, answer.json_body
    return answer.json_body["entries"]


def _post(api, path, body, status=201, **kw):
    answer = api.post(path, body, **kw)
    assert answer.status_code == status, answer.json_body
    return answer.json_body


def test_the_wallet_moves__its_payments_refund_and_its_top_ups_withdraw_at_the_survivor(api, brand):
    bonus = TopupBonus(min_amount=50_000, bonus=5_000, label="储500送50")
    set_program(brand, wallet=WalletRules(topup_bonuses=[bonus]))
    pos = api.enroll(phone="13800138000")
    web = api.enroll(email="li.lei@example.com")
    _post(api, W.format(web) + "/topups", {"payment_id": "pay-web", "amount": 50_000})
    paid = _post(api, W.format(web) + "/payments", {"order_id": "o-1", "amount": 11_000})
    assert (paid["principal"], paid["bonus"]) == (10_000, 1_000)  # 11,000 × 5,000 / 55,000
    once = {"order_id": "o-1", "amount": 1_100, "refund_id": "r-1"}
    first_refund = _post(api, W.format(web) + "/refunds", once)
    _post(api, W.format(pos) + "/topups", {"payment_id": "pay-pos", "amount": 10_000})
    assert _wallet(api, web)["principal"] == 41_000 and _wallet(api, web)["bonus"] == 4_100
    totals_before = _books_ok(api)

    out = _post(api, f"/v1/admin/members/{pos}/merge", {"from_member_id": web}, 200, key="admin")
    assert (out["moved"]["wallet_principal"], out["moved"]["wallet_bonus"]) == (41_000, 4_100)
    assert out["moved"]["records"] == 2  # the payment, and the refund id used
    survivor = _wallet(api, pos)
    assert (survivor["principal"], survivor["bonus"], survivor["balance"]) == (
        51_000,
        4_100,
        55_100,
    )
    merged_in = _entries(api, pos)[0]
    assert (merged_in["kind"], merged_in["amount"], merged_in["reference"]) == (
        "merge_in",
        45_100,
        web,
    )
    history = _entries(api, web)  # the merged member's history stays readable
    assert [e["kind"] for e in history] == ["merge_out", "refund", "payment", "topup"]
    assert (history[0]["amount"], history[0]["balance_after"]) == (-45_100, 0)
    gone = api.get(W.format(web))
    assert gone.status_code == 409 and gone.json_body["error"]["code"] == "member_merged"
    assert _books_ok(api) == {**totals_before, "as_of": _books_ok(api)["as_of"]}

    # the refund id used at the merged member stays used: asked again at the survivor, the
    # first answer, and nothing refunded twice
    again = api.post(W.format(pos) + "/refunds", once)
    assert again.status_code in (200, 201) and again.json_body == first_refund
    assert _wallet(api, pos)["balance"] == 55_100
    # the rest of the payment refunds at the survivor, each part back where it came from
    rest = _post(api, W.format(pos) + "/refunds", {"order_id": "o-1", "amount": 9_900})
    assert (rest["principal"], rest["bonus"]) == (9_000, 900)
    # and the merged member's top-up withdraws there in full, taking its whole bonus back
    withdrawal = {"payment_id": "pay-web", "amount": 50_000}
    out_of = _post(api, W.format(pos) + "/withdrawals", withdrawal)
    assert (out_of["bonus_taken_back"], out_of["principal_kept"]) == (5_000, 0)
    assert _wallet(api, pos)["balance"] == 10_000  # what the survivor paid in itself
    _books_ok(api)


def test_a_frozen_wallet_freezes_the_survivors_with_it(api, brand):
    set_program(brand, wallet=WalletRules())
    pos, web = api.enroll(phone="13800138000"), api.enroll(phone="13800138001")
    _post(api, W.format(web) + "/topups", {"payment_id": "pay-1", "amount": 10_000})
    _post(api, W.format(pos) + "/topups", {"payment_id": "pay-2", "amount": 5_000})
    reason = {"reason": "chargeback under review"}
    _post(api, f"/v1/admin/members/{web}/wallet/freeze", reason, 200, key="admin")
    _post(api, f"/v1/admin/members/{pos}/merge", {"from_member_id": web}, 200, key="admin")
    survivor = _wallet(api, pos)
    assert survivor["balance"] == 15_000 and survivor["frozen"] is True
    assert (
        web in survivor["frozen_reason"] and "chargeback under review" in survivor["frozen_reason"]
    )
    assert [e["kind"] for e in _entries(api, pos)][:2] == ["freeze", "merge_in"]
    refused = api.post(W.format(pos) + "/payments", {"order_id": "o-1", "amount": 100})
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "wallet_frozen"
    _books_ok(api)


def test_wallets_in_two_currencies_are_not_merged__nothing_written(api, brand):
    set_program(brand, wallet=WalletRules())
    a, b = api.enroll(phone="13800138000"), api.enroll(phone="13800138001")
    _post(api, W.format(a) + "/topups", {"payment_id": "pay-1", "amount": 100})
    set_program(brand, currency="HKD", wallet=WalletRules())
    _post(api, W.format(b) + "/topups", {"payment_id": "pay-2", "amount": 100})
    refused = _merge(api, a, b)
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "merge_refused"
    assert "HKD" in refused.json_body["error"]["message"]
    assert refused.json_body["error"]["param"] == "from_member_id"
    assert _member(api, b)["member_id"] == b and _wallet(api, b)["balance"] == 100


def test_a_merge_cut_short_before_the_wallet_moved__its_top_ups_wait_for_it(
    api, brand, monkeypatch
):
    set_program(brand, wallet=WalletRules())
    pos, web = api.enroll(phone="13800138000"), api.enroll(phone="13800138001")
    _post(api, W.format(web) + "/topups", {"payment_id": "pay-1", "amount": 10_000})
    commit = UnitOfWork.commit
    commits = []

    def failing_third(self):  # the first step, the points step, then the wallet's
        commits.append(1)
        if len(commits) == 3:
            raise RuntimeError("the Lambda timed out here")
        commit(self)

    monkeypatch.setattr(UnitOfWork, "commit", failing_third)
    assert _merge(api, pos, web).status_code == 500
    monkeypatch.setattr(UnitOfWork, "commit", commit)
    withdrawal = {"payment_id": "pay-1", "amount": 10_000}
    early = api.post(W.format(pos) + "/withdrawals", withdrawal)
    assert early.status_code == 404 and early.json_body["error"]["code"] == "payment_not_found"
    assert api.get(W.format(web)).json_body["error"]["code"] == "member_merged"
    _books_ok(api)  # between steps, too

    done = _post(api, f"/v1/admin/members/{pos}/merge", {"from_member_id": web}, 200, key="admin")
    assert done["moved"]["wallet_principal"] == 10_000
    assert _post(api, W.format(pos) + "/withdrawals", withdrawal)["wallet"]["balance"] == 0
    _books_ok(api)


def test_a_top_up_withdraws_where_a_chain_of_merges_took_it(api, brand):
    set_program(brand, wallet=WalletRules())
    a, b, c = (api.enroll(phone=f"1380013800{n}") for n in range(3))
    _post(api, W.format(a) + "/topups", {"payment_id": "pay-a", "amount": 10_000})
    _post(api, f"/v1/admin/members/{b}/merge", {"from_member_id": a}, 200, key="admin")
    _post(api, f"/v1/admin/members/{c}/merge", {"from_member_id": b}, 200, key="admin")
    withdrawal = {"payment_id": "pay-a", "amount": 10_000}
    not_b = api.post(W.format(b) + "/withdrawals", withdrawal)
    assert not_b.json_body["error"]["code"] == "member_merged"
    assert _post(api, W.format(c) + "/withdrawals", withdrawal)["wallet"]["balance"] == 0
    _books_ok(api)


def test_a_survivor_still_taking_a_member_in_is_not_merged_away(api, brand, monkeypatch):
    a, b, c = (api.enroll(phone=f"1380013800{n}") for n in range(3))
    api.buy(a, "a-1", 1_000)
    commit = UnitOfWork.commit
    commits = []

    def failing_second(self):
        commits.append(1)
        if len(commits) == 2:
            raise RuntimeError("the Lambda timed out here")
        commit(self)

    monkeypatch.setattr(UnitOfWork, "commit", failing_second)
    assert _merge(api, b, a).status_code == 500  # a → b: the first step only
    monkeypatch.setattr(UnitOfWork, "commit", commit)
    refused = _merge(api, c, b)
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "merge_refused"
    assert a in refused.json_body["error"]["message"]
    assert _merge(api, b, a).status_code == 200  # finished,
    assert _merge(api, c, b).status_code == 200  # b can go on into c
    assert _member(api, c)["points_balance"] == 10
    _books_ok(api)
