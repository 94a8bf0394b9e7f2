from tests.helpers import buy, enroll, member, redeem, refund


def test_purchase_redeem_refund__round_trip(brand):
    member_id = enroll(brand)
    bought = buy(brand, member_id, "o-1", 12_345)
    assert bought["points_earned"] == 123
    assert member(brand, member_id).points_balance == 123
    redeemed = redeem(brand, member_id, "o-2", 100)
    assert redeemed["discount_amount"] == 100
    refunded = refund(brand, member_id, "o-1", 12_345)
    assert refunded["points_clawed_back"] == 123
    after = member(brand, member_id)
    assert (after.points_balance, after.points_debt) == (0, 100)
