"""Stored value over HTTP: the seeds' 储500送50 to the cent, payments, refunds, withdrawals,
freezing, the entries, and bad input refused with nothing written."""

import pytest

from chalicelib.domain.program import TopupBonus, WalletRules
from tests.conftest import set_program

STORED_500_GET_50 = WalletRules(
    topup_bonuses=[
        TopupBonus(min_amount=50_000, bonus=5_000, label="储500送50"),
        TopupBonus(min_amount=100_000, bonus=12_000, label="储1000送120"),
    ]
)


@pytest.fixture
def wallet_brand(brand):
    set_program(brand, wallet=STORED_500_GET_50)
    return brand


def wallet_of(api, member_id):
    answer = api.get(f"/v1/members/{member_id}/wallet")
    assert answer.status_code == 200, answer.json_body
    return answer.json_body


def parts(wallet):
    return wallet["balance"], wallet["principal"], wallet["bonus"]


def entries_of(api, member_id):
    answer = api.get(f"/v1/members/{member_id}/wallet/entries?limit=100")
    assert answer.status_code == 200, answer.json_body
    return answer.json_body["entries"]


def test_the_seeds_example__top_up_500_get_50__pay_100__withdraw_the_rest(api, wallet_brand):
    member_id = api.enroll()
    w = f"/v1/members/{member_id}/wallet"
    topped = api.post(f"{w}/topups", {"payment_id": "pay-1", "amount": 50_000, "channel": "pos"})
    assert topped.status_code == 201, topped.json_body
    assert topped.json_body["bonus"] == 5_000
    assert topped.json_body["bonus_rule"] == "储500送50"
    assert "50000" not in topped.json_body["bonus_reason"]  # amounts in words are 500.00
    assert "500.00" in topped.json_body["bonus_reason"]
    assert parts(topped.json_body["wallet"]) == (55_000, 50_000, 5_000)
    paid = api.post(f"{w}/payments", {"order_id": "o-1", "amount": 10_000})
    assert paid.status_code == 201, paid.json_body
    # proportional: 100.00 × 50 / 550 = 9.0909… of bonus → 9.09; principal 90.91
    assert (paid.json_body["principal"], paid.json_body["bonus"]) == (9_091, 909)
    out = api.post(f"{w}/withdrawals", {"payment_id": "pay-1", "amount": 40_909})
    assert out.status_code == 201, out.json_body
    # the rest of the principal back; the top-up's bonus left with it (ceil of 409.09 / 10)
    assert out.json_body["amount"] == 40_909
    assert out.json_body["bonus_taken_back"] == 4_091
    assert out.json_body["principal_kept"] == 0
    assert out.json_body["withdrawable_now"] == 0
    assert out.json_body["wallet"]["balance"] == 0
    kinds = [
        (e["kind"], e["principal_delta"], e["bonus_delta"]) for e in entries_of(api, member_id)
    ]
    assert kinds == [
        ("withdrawal", -40_909, -4_091),
        ("payment", -9_091, -909),
        ("topup", 50_000, 5_000),
    ]
    books = api.get(f"/v1/admin/reconciliation?member_id={member_id}", key="admin")
    assert books.status_code == 200 and books.json_body["ok"] is True, books.json_body


def test_bonus_spent_first_is_kept_out_of_the_principal_withdrawn(api, wallet_brand):
    set_program(
        wallet_brand,
        wallet=STORED_500_GET_50.model_copy(update={"spend_order": "bonus_first"}),
    )
    member_id = api.enroll()
    w = f"/v1/members/{member_id}/wallet"
    api.post(f"{w}/topups", {"payment_id": "pay-1", "amount": 50_000})
    paid = api.post(f"{w}/payments", {"order_id": "o-1", "amount": 10_000})
    assert (paid.json_body["principal"], paid.json_body["bonus"]) == (5_000, 5_000)
    too_much = api.post(f"{w}/withdrawals", {"payment_id": "pay-1", "amount": 45_000})
    assert too_much.status_code == 409
    assert too_much.json_body["error"]["code"] == "withdrawal_refused"
    assert "at most ¥409.09" in too_much.json_body["error"]["message"]  # in the currency (#32)
    out = api.post(f"{w}/withdrawals", {"payment_id": "pay-1", "amount": 40_909})
    assert out.status_code == 201, out.json_body
    # 500 paid in, 550 of value, 100 used: 500 − 100 × 500/550 = 409.09 back, as if proportional
    assert (out.json_body["bonus_taken_back"], out.json_body["principal_kept"]) == (0, 4_091)
    assert out.json_body["wallet"]["balance"] == 0


def test_payments_refunds_and_retries(api, wallet_brand):
    member_id = api.enroll()
    w = f"/v1/members/{member_id}/wallet"
    api.post(f"{w}/topups", {"payment_id": "pay-1", "amount": 100_000})  # 储1000送120
    assert wallet_of(api, member_id)["bonus"] == 12_000
    first = api.post(f"{w}/payments", {"order_id": "o-1", "amount": 11_200})
    again = api.post(f"{w}/payments", {"order_id": "o-1", "amount": 11_200})
    assert first.status_code == again.status_code == 201
    assert first.json_body == again.json_body  # once per order id, the first answer
    other = api.post(f"{w}/payments", {"order_id": "o-1", "amount": 500})
    assert other.status_code == 409 and other.json_body["error"]["param"] == "order_id"
    assert (first.json_body["principal"], first.json_body["bonus"]) == (10_000, 1_200)
    part = api.post(f"{w}/refunds", {"order_id": "o-1", "amount": 5_600, "refund_id": "r-1"})
    assert part.status_code == 201, part.json_body
    assert (part.json_body["principal"], part.json_body["bonus"]) == (5_000, 600)
    retried = api.post(f"{w}/refunds", {"order_id": "o-1", "amount": 5_600, "refund_id": "r-1"})
    assert retried.json_body == part.json_body
    rest = api.post(f"{w}/refunds", {"order_id": "o-1", "amount": 5_600})
    assert (rest.json_body["principal"], rest.json_body["bonus"]) == (5_000, 600)
    past = api.post(f"{w}/refunds", {"order_id": "o-1", "amount": 1})
    assert past.status_code == 409 and past.json_body["error"]["code"] == "refund_exceeds_payment"
    assert parts(wallet_of(api, member_id)) == (112_000, 100_000, 12_000)
    everything = api.post(f"{w}/payments", {"order_id": "o-all", "amount": 112_000})
    assert everything.status_code == 201
    again_empty = api.post(f"{w}/payments", {"order_id": "o-all", "amount": 112_000})
    assert again_empty.json_body == everything.json_body  # the wallet is empty: still the answer
    api.post(f"{w}/refunds", {"order_id": "o-all", "amount": 112_000})
    short = api.post(f"{w}/payments", {"order_id": "o-2", "amount": 112_001})
    assert short.status_code == 409 and short.json_body["error"]["code"] == "insufficient_funds"
    assert len(entries_of(api, member_id)) == 6


def test_a_frozen_wallet_refuses_payments_but_records_top_ups_and_refunds(api, wallet_brand):
    member_id = api.enroll()
    w = f"/v1/members/{member_id}/wallet"
    admin = f"/v1/admin/members/{member_id}/wallet"
    api.post(f"{w}/topups", {"payment_id": "pay-1", "amount": 20_000})
    first = api.post(f"{w}/payments", {"order_id": "o-1", "amount": 5_000})
    assert api.post(f"{admin}/freeze", {"reason": "fraud check"}).status_code == 403
    frozen = api.post(f"{admin}/freeze", {"reason": "fraud check"}, key="admin")
    assert frozen.status_code == 200 and frozen.json_body["frozen"] is True
    retried = api.post(f"{w}/payments", {"order_id": "o-1", "amount": 5_000})
    assert retried.status_code == 201 and retried.json_body == first.json_body  # made before
    refused = api.post(f"{w}/payments", {"order_id": "o-2", "amount": 100})
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "wallet_frozen"
    out = api.post(f"{w}/withdrawals", {"payment_id": "pay-1", "amount": 100})
    assert out.status_code == 409 and out.json_body["error"]["code"] == "wallet_frozen"
    assert api.post(f"{w}/topups", {"payment_id": "pay-2", "amount": 100}).status_code == 201
    assert api.post(f"{w}/refunds", {"order_id": "o-1", "amount": 5_000}).status_code == 201
    assert wallet_of(api, member_id)["balance"] == 20_100
    thawed = api.post(f"{admin}/unfreeze", {"reason": "cleared"}, key="admin")
    assert thawed.json_body["frozen"] is False
    assert api.post(f"{w}/payments", {"order_id": "o-2", "amount": 100}).status_code == 201
    kinds = [e["kind"] for e in entries_of(api, member_id)]
    assert kinds == ["payment", "unfreeze", "refund", "topup", "freeze", "payment", "topup"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"payment_id": "p", "amount": -100}, "amount"),
        ({"payment_id": "p", "amount": 0}, "amount"),
        ({"payment_id": "p", "amount": 100.5}, "amount"),
        ({"payment_id": "p", "amount": "100"}, "amount"),
        ({"payment_id": "p", "amount": 10**13}, "amount"),
        ({"payment_id": "p", "amount": 100_000_001}, "amount"),  # over wallet.max_topup
        ({"payment_id": "p", "amount": 100, "currency": "USD"}, "currency"),
        ({"payment_id": "p", "amount": 100, "bonus": 5}, "bonus"),
        ({"amount": 100}, "payment_id"),
    ],
)
def test_bad_top_ups_are_refused_naming_the_field_and_write_nothing(api, wallet_brand, body, param):
    member_id = api.enroll()
    answer = api.post(f"/v1/members/{member_id}/wallet/topups", body)
    assert 400 <= answer.status_code < 500, answer.json_body
    assert answer.json_body["error"]["param"] == param, answer.json_body
    assert wallet_of(api, member_id)["balance"] == 0
    assert entries_of(api, member_id) == []


def test_unknown_payments_orders_and_members(api, wallet_brand):
    member_id = api.enroll()
    w = f"/v1/members/{member_id}/wallet"
    api.post(f"{w}/topups", {"payment_id": "pay-1", "amount": 1_000})
    other = api.enroll(phone="13900139000")
    taken = api.post(f"/v1/members/{other}/wallet/topups", {"payment_id": "pay-1", "amount": 1_000})
    assert taken.status_code == 409 and taken.json_body["error"]["code"] == "payment_conflict"
    nothing = api.post(f"{w}/withdrawals", {"payment_id": "pay-9", "amount": 100})
    assert nothing.status_code == 404 and nothing.json_body["error"]["param"] == "payment_id"
    theirs = api.post(
        f"/v1/members/{other}/wallet/withdrawals", {"payment_id": "pay-1", "amount": 1}
    )
    assert theirs.status_code == 404
    unpaid = api.post(f"{w}/refunds", {"order_id": "o-9", "amount": 100})
    assert unpaid.status_code == 404 and unpaid.json_body["error"]["code"] == "payment_not_found"
    ghost = "mem_" + "0" * 26
    assert api.get(f"/v1/members/{ghost}/wallet").status_code == 404
    assert (
        api.post(f"/v1/members/{ghost}/wallet/topups", {"payment_id": "x", "amount": 1}).status_code
        == 404
    )
    assert entries_of(api, member_id)[0]["kind"] == "topup" and len(entries_of(api, member_id)) == 1


def test_loyalty_reconcile__ok__then_a_tampered_wallet_and_totals_exit_1(
    api, wallet_brand, monkeypatch
):
    """`loyalty reconcile` over several pages (one member a page), then after a hand edit."""
    from typer.testing import CliRunner

    from chalicelib.services import deps as composition
    from chalicelib.store import keys
    from chalicelib.store.models import WalletItem
    from loyalty_tools import cli

    members = [api.enroll(phone=f"1390013900{n}") for n in range(3)]
    for n, member_id in enumerate(members):
        api.post(
            f"/v1/members/{member_id}/wallet/topups", {"payment_id": f"p{n}", "amount": 50_000}
        )
        bought = api.post(
            f"/v1/members/{member_id}/purchases",
            {"order_id": "o", "amount": 1_000, "currency": "CNY"},
        )
        assert bought.status_code == 201, bought.json_body
    monkeypatch.setattr(composition, "build", lambda **kwargs: wallet_brand)
    runner = CliRunner()
    ok = runner.invoke(cli.app, ["reconcile", "--batch", "1"])
    assert ok.exit_code == 0, ok.output
    assert "3 members: points 30 " in ok.output and "165000 principal" not in ok.output
    assert "150000 principal + 15000 bonus" in ok.output and "ok: the books reconcile" in ok.output
    item = WalletItem.get(keys.member_pk(members[1]), keys.WALLET_SK)
    item.update(actions=[WalletItem.bonus.set(int(item.bonus) + 100)])
    bad = runner.invoke(cli.app, ["reconcile", "--batch", "1"])
    assert bad.exit_code == 1, bad.output
    assert f"MISMATCH {members[1]} wallet.bonus_is_entries" in bad.output
    assert "MISMATCH brand totals totals.wallet_bonus: expected 15100, found 15000" in bad.output
    one = runner.invoke(cli.app, ["reconcile", "--member", members[0]])
    assert one.exit_code == 0 and "1 members" in one.output
