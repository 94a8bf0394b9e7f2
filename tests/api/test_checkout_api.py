"""Purchases, quotes, redemptions, refunds and the ledger through the HTTP contract."""

import json

from tests.conftest import TEST_PROGRAM


def _purchase(api, member_id, order_id="o-1", amount=12_345, headers=None, **extra):
    body = {"order_id": order_id, "amount": amount, "currency": "CNY", **extra}
    return api.post(f"/v1/members/{member_id}/purchases", body, headers=headers)


def test_purchase__earns_with_breakdown_and_updates_member(api):
    member_id = api.enroll()
    response = _purchase(
        api,
        member_id,
        items=[
            {"sku": "A", "category": "tea", "amount": 10_000, "quantity": 2},
            {"sku": "B", "amount": 2_345},
        ],
    )
    assert response.status_code == 201
    body = response.json_body
    assert body["points_earned"] == 123
    assert body["points_status"] == "vested"
    assert [line["rule"] for line in body["breakdown"]] == ["base", "rounding"]
    # issue 32: whole points that add up, like points_earned; the exact share beside them
    assert [line["points"] for line in body["breakdown"]] == [123, 0]
    assert body["breakdown"][0]["points_exact"] == "123.45"
    assert body["breakdown"][1]["points_exact"] == "-0.45"
    assert body["member"]["points_balance"] == 123
    assert body["member"]["lifetime_points"] == 123


def test_quote__gives_the_same_breakdown_as_the_purchase_and_writes_nothing(api):
    member_id = api.enroll()
    basket = {"amount": 5_050, "currency": "CNY"}
    quote = api.post(f"/v1/members/{member_id}/quote", basket)
    assert quote.status_code == 200
    bought = _purchase(api, member_id, amount=5_050)
    assert quote.json_body["breakdown"] == bought.json_body["breakdown"]
    assert quote.json_body["points_earned"] == bought.json_body["points_earned"] == 50
    ledger = api.get(f"/v1/members/{member_id}/ledger").json_body["entries"]
    assert [entry["kind"] for entry in ledger] == ["earn"]


def test_quote__tells_how_many_points_could_pay(api):
    member_id = api.enroll()
    _purchase(api, member_id, amount=25_000)  # 250 points
    quote = api.post(f"/v1/members/{member_id}/quote", {"amount": 120, "currency": "CNY"})
    # whole 100-point steps, never more than the basket
    assert quote.json_body["points_redeemable"] == 100
    assert quote.json_body["redeemable_discount"] == 100


def test_purchase__retry_with_same_key_returns_first_answer_and_one_ledger_entry(api):
    member_id = api.enroll()
    first = _purchase(api, member_id, headers={"Idempotency-Key": "k-1"})
    again = _purchase(api, member_id, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.body == first.body
    assert again.headers.get("Idempotent-Replayed") == "true"
    entries = api.get(f"/v1/members/{member_id}/ledger").json_body["entries"]
    assert len(entries) == 1


def test_purchase__same_key_with_other_body_is_422_naming_the_key(api):
    member_id = api.enroll()
    _purchase(api, member_id, headers={"Idempotency-Key": "k-1"})
    other = _purchase(api, member_id, order_id="o-2", headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert other.json_body["error"]["code"] == "idempotency_key_reused"
    assert other.json_body["error"]["param"] == "Idempotency-Key"


def test_purchase__retry_with_a_new_key_is_deduplicated_by_order_id(api):
    member_id = api.enroll()
    first = _purchase(api, member_id, headers={"Idempotency-Key": "k-1"})
    again = _purchase(api, member_id, headers={"Idempotency-Key": "k-2"})
    assert again.status_code == 201 and again.body == first.body
    changed = _purchase(api, member_id, amount=999, headers={"Idempotency-Key": "k-3"})
    assert changed.status_code == 409
    assert changed.json_body["error"]["code"] == "order_conflict"
    assert changed.json_body["error"]["param"] == "order_id"
    assert api.get(f"/v1/members/{member_id}").json_body["points_balance"] == 123


def test_redemption__spends_soonest_expiring_first_and_answers_the_discount(api, clock):
    member_id = api.enroll()
    _purchase(api, member_id, order_id="old", amount=10_000)
    clock.advance(days=40)
    _purchase(api, member_id, order_id="new", amount=20_000)
    response = api.post(f"/v1/members/{member_id}/redemptions", {"order_id": "o-9", "points": 200})
    assert response.status_code == 201
    body = response.json_body
    assert (body["points_redeemed"], body["discount_amount"], body["currency"]) == (200, 200, "CNY")
    assert body["member"]["points_balance"] == 100
    redeem_entry = api.get(f"/v1/members/{member_id}/ledger").json_body["entries"][0]
    assert redeem_entry["kind"] == "redeem" and redeem_entry["points"] == -200


def test_redemption__more_than_balance_is_409_and_changes_nothing(api):
    member_id = api.enroll()
    _purchase(api, member_id, amount=10_000)
    response = api.post(f"/v1/members/{member_id}/redemptions", {"order_id": "o", "points": 200})
    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "insufficient_points"
    assert api.get(f"/v1/members/{member_id}").json_body["points_balance"] == 100


def test_redemption__points_must_be_whole_steps(api):
    member_id = api.enroll()
    response = api.post(f"/v1/members/{member_id}/redemptions", {"order_id": "o", "points": 150})
    assert response.status_code == 422 and response.json_body["error"]["param"] == "points"


def test_refund__partial_then_rest_claws_back_in_proportion(api):
    member_id = api.enroll()
    _purchase(api, member_id, amount=10_000)
    half = api.post(f"/v1/members/{member_id}/refunds", {"order_id": "o-1", "amount": 3_333})
    assert half.status_code == 201
    assert half.json_body["points_clawed_back"] == 33
    rest = api.post(f"/v1/members/{member_id}/refunds", {"order_id": "o-1", "amount": 6_667})
    assert rest.json_body["points_clawed_back"] == 67
    assert rest.json_body["refunded_total"] == 10_000
    assert rest.json_body["member"]["points_balance"] == 0
    more = api.post(f"/v1/members/{member_id}/refunds", {"order_id": "o-1", "amount": 1})
    assert more.status_code == 409 and more.json_body["error"]["code"] == "refund_exceeds_order"


def test_refund__with_refund_id_is_applied_once(api):
    member_id = api.enroll()
    _purchase(api, member_id, amount=10_000)
    body = {"order_id": "o-1", "amount": 5_000, "refund_id": "r-1"}
    first = api.post(f"/v1/members/{member_id}/refunds", body)
    again = api.post(f"/v1/members/{member_id}/refunds", body)
    assert again.status_code == 201 and again.body == first.body
    assert api.get(f"/v1/members/{member_id}").json_body["points_balance"] == 50


def test_refund__of_unknown_order_is_404(api):
    member_id = api.enroll()
    response = api.post(f"/v1/members/{member_id}/refunds", {"order_id": "nope", "amount": 1})
    assert response.status_code == 404 and response.json_body["error"]["param"] == "order_id"


def test_ledger__pages_newest_first_with_reasons(api):
    member_id = api.enroll()
    for n in range(5):
        _purchase(api, member_id, order_id=f"o-{n}", amount=100 * (n + 1))
    page = api.get(f"/v1/members/{member_id}/ledger?limit=2").json_body
    assert [entry["order_id"] for entry in page["entries"]] == ["o-4", "o-3"]
    assert all(entry["reason"] for entry in page["entries"])
    assert set(page["entries"][0]) >= {
        "entry_id",
        "kind",
        "points",
        "reason",
        "order_id",
        "created_at",
    }
    seen = [entry["order_id"] for entry in page["entries"]]
    while page["next_cursor"]:
        page = api.get(
            f"/v1/members/{member_id}/ledger?limit=2&cursor={page['next_cursor']}"
        ).json_body
        seen += [entry["order_id"] for entry in page["entries"]]
    assert seen == ["o-4", "o-3", "o-2", "o-1", "o-0"]


def test_ledger__bad_cursor_and_limit_are_422(api):
    member_id = api.enroll()
    assert api.get(f"/v1/members/{member_id}/ledger?cursor=zzz").status_code == 422
    response = api.get(f"/v1/members/{member_id}/ledger?limit=1000")
    assert response.status_code == 422 and response.json_body["error"]["param"] == "limit"


def test_bad_input__gets_a_clear_4xx_and_writes_nothing(api):
    member_id = api.enroll()
    path = f"/v1/members/{member_id}/purchases"
    cases = [
        (dict(raw=b"{not json"), 400, "invalid_json", None),
        (dict(body={"order_id": "o", "amount": "12", "currency": "CNY"}), 422, None, "amount"),
        (dict(body={"order_id": "o", "amount": -5, "currency": "CNY"}), 422, None, "amount"),
        (dict(body={"order_id": "o", "amount": 10**15, "currency": "CNY"}), 422, None, "amount"),
        (dict(body={"order_id": "o", "amount": 100, "currency": "USD"}), 422, None, "currency"),
        (dict(body={"order_id": "o", "amount": 100}), 422, "missing_field", "currency"),
        (
            dict(
                body={"order_id": "o", "amount": 100, "currency": "CNY", "items": [{"amount": 50}]}
            ),
            422,
            None,
            "items",
        ),
        (
            dict(
                raw=json.dumps(
                    {"order_id": "o", "amount": 1, "currency": "CNY", "pad": "x" * 70_000}
                ).encode()
            ),
            413,
            "payload_too_large",
            None,
        ),
    ]
    for kwargs, status, code, param in cases:
        response = api.post(path, **kwargs)
        assert response.status_code == status, (kwargs, response.json_body)
        error = response.json_body["error"]
        assert set(error) >= {"type", "code", "message", "param"}
        assert code is None or error["code"] == code
        assert param is None or error["param"] == param, error
    assert api.get(f"/v1/members/{member_id}/ledger").json_body["entries"] == []


def test_purchase__for_unknown_member_is_404(api):
    response = _purchase(api, "mem_01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert response.status_code == 404


def test_program__get_returns_exactly_what_put_accepts(api):
    current = api.get("/v1/admin/program", key="admin").json_body
    assert current["version"] == 1
    current["earn"]["points_per_unit"] = 2
    saved = api.put("/v1/admin/program", current, key="admin")
    assert saved.status_code == 200 and saved.json_body["version"] == 2
    again = api.get("/v1/admin/program", key="admin").json_body
    assert again == {**current, "version": 2}
    stale = api.put("/v1/admin/program", current, key="admin")  # still says version 1
    assert stale.status_code == 409 and stale.json_body["error"]["param"] == "version"


def test_program__invalid_document_names_the_field(api):
    doc = TEST_PROGRAM.model_dump(mode="json", exclude={"version"})
    doc["time_zone"] = "Mars/Olympus"
    response = api.put("/v1/admin/program", doc, key="admin")
    assert response.status_code == 422 and response.json_body["error"]["param"] == "time_zone"


def test_purchase__records_the_program_version_it_used(api):
    member_id = api.enroll()
    doc = api.get("/v1/admin/program", key="admin").json_body
    api.put("/v1/admin/program", {**doc, "earn": {"points_per_unit": 3}}, key="admin")
    body = _purchase(api, member_id, amount=100).json_body
    assert body["program_version"] == 2 and body["points_earned"] == 3
