"""抢券 (issue 33): members claim coupons of a stocked, claimable template themselves; the stock
is split into slices, never oversold, and a claim sent again takes nothing more."""

T = "/v1/admin/coupon-templates"


def _flash(api, stock: int, **more) -> None:
    body = {
        "template_id": "flash",
        "name": "双11 ¥50 off",
        "kind": "fixed",
        "amount_off": 5_000,
        "total_stock": stock,
        "claimable": True,
        "claims_per_second": 1_200,  # three slices
        **more,
    }
    assert api.post(T, body, key="admin").status_code == 201


def _claim(api, member_id: str, key: str, template_id: str = "flash"):
    return api.post(
        f"/v1/members/{member_id}/coupon-claims",
        {"template_id": template_id},
        headers={"Idempotency-Key": key},
    )


def test_claims_take_the_stock_to_the_last_unit_and_then_sold_out(api):
    _flash(api, stock=5)
    members = [api.enroll(phone=f"1380013800{n}") for n in range(7)]
    answers = [_claim(api, member_id, f"k-{n}") for n, member_id in enumerate(members)]
    assert [a.status_code for a in answers] == [201] * 5 + [409] * 2
    assert {a.json_body["error"]["code"] for a in answers[5:]} == {"sold_out"}
    assert answers[0].json_body["coupon"]["template_id"] == "flash"
    template = api.get(f"{T}/flash", key="admin").json_body
    assert template["issued"] == 5 and template["claims_per_second"] == 1_200


def test_a_claim_sent_again__answers_the_first_and_takes_no_second_unit(api):
    _flash(api, stock=2, per_member_limit=None)
    member_id = api.enroll()
    first = _claim(api, member_id, "k-1")
    again = _claim(api, member_id, "k-1")
    assert again.status_code == 201 and again.json_body == first.json_body
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.get(f"{T}/flash", key="admin").json_body["issued"] == 1


def test_the_per_member_limit_holds_for_claims(api):
    _flash(api, stock=10)  # one per member
    member_id = api.enroll()
    assert _claim(api, member_id, "k-1").status_code == 201
    second = _claim(api, member_id, "k-2")
    assert second.status_code == 409 and second.json_body["error"]["code"] == "coupon_limit_reached"
    assert api.get(f"{T}/flash", key="admin").json_body["issued"] == 1  # the unit given back


def test_a_template_not_claimable__and_a_claim_without_a_key__are_refused(api):
    _flash(api, stock=10)
    plain_template = {"template_id": "plain", "name": "¥5", "kind": "fixed", "amount_off": 500}
    assert api.post(T, plain_template, key="admin").status_code == 201
    member_id = api.enroll()
    plain = _claim(api, member_id, "k-1", template_id="plain")
    assert plain.status_code == 409 and plain.json_body["error"]["code"] == "not_claimable"
    keyless = api.post(f"/v1/members/{member_id}/coupon-claims", {"template_id": "flash"})
    assert keyless.status_code == 422
    assert keyless.json_body["error"]["param"] == "Idempotency-Key"
    unknown = _claim(api, member_id, "k-2", template_id="nope")
    assert unknown.status_code == 404


def test_more_stock_later__is_split_anew_over_the_slices(api):
    _flash(api, stock=2)
    for n in range(2):
        assert _claim(api, api.enroll(phone=f"1390013900{n}"), f"k-{n}").status_code == 201
    template = api.get(f"{T}/flash", key="admin").json_body
    changed = {k: v for k, v in template.items() if k not in ("issued", "version")}
    more = api.put(f"{T}/flash", {**changed, "total_stock": 4, "claims_per_second": 2_000})
    assert more.status_code == 403  # a storefront key
    more = api.put(
        f"{T}/flash", {**changed, "total_stock": 4, "claims_per_second": 2_000}, key="admin"
    )
    assert more.status_code == 200 and more.json_body["issued"] == 2
    claims = [_claim(api, api.enroll(phone=f"1370013700{n}"), f"m-{n}") for n in range(3)]
    assert [c.status_code for c in claims] == [201, 201, 409]
