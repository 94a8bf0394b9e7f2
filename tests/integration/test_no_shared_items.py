"""No item or partition shared between members on the storefront's path (issue 33): every write
of each use case, for two members, recorded at the botocore boundary; none of one member's
touches what the other's touches (a stocked coupon's slice aside: a single conditional write,
outside any transaction, by design)."""

import json

import pytest

from chalicelib.contract.checkout import ExchangeRequest, RedemptionRequest, RefundRequest
from chalicelib.contract.coupons import CouponRedeemRequest, CouponReleaseRequest, IssueRequest
from chalicelib.contract.engagement import CheckinRequest
from chalicelib.contract.wallet import (
    TopupRequest,
    WalletPaymentRequest,
    WalletRefundRequest,
    WithdrawalRequest,
)
from chalicelib.domain.program import Checkin, Referral
from chalicelib.services import referrals as referral_service
from tests.bench.scale import Writes
from tests.conftest import set_program
from tests.helpers import add_templates, buy, enroll, template
from tests.presented import checkins, coupon_checkout, coupon_issue, redemptions, refunds, wallet


@pytest.fixture
def shop(brand):
    set_program(
        brand,
        checkin=Checkin(enabled=True, points=5),
        referral=Referral(enabled=True, referrer_points=100, friend_points=50),
    )
    add_templates(brand, template("voucher", per_member_limit=None, points_price=100))
    return brand


def _two_members(brand, call):
    """The keys each of two members' calls wrote (transactions and single writes)."""
    writes = Writes()
    seen = []
    with writes.installed():
        for n in range(2):
            with writes.recording() as found:
                call(n)
            seen.append(found)
    return seen


def test_no_storefront_use_case__shares_an_item_or_a_partition_between_two_members(shop):
    brand = shop
    ids = [enroll(brand, f"1380013800{n}") for n in range(2)]
    codes = []
    for n, member_id in enumerate(ids):
        buy(brand, member_id, f"seed-{n}", 100_000)
        answer = coupon_issue.issue(brand, "voucher", IssueRequest(member_id=member_id), None)
        codes.append(json.loads(answer.body)["coupon"]["code"])
        wallet.top_up(brand, member_id, TopupRequest(payment_id=f"seed-p-{n}", amount=9_000), None)
    referrer = enroll(brand, "13900000000")
    code = referral_service.list_friends(brand, referrer).referral_code
    from chalicelib.contract.members import EnrollRequest
    from tests.presented import members

    friends = []
    cases = {
        "enrolment": lambda n: enroll(brand, f"1370013700{n}"),
        "enrolment, referred": lambda n: friends.append(
            json.loads(
                members.enroll(
                    brand, EnrollRequest(phone=f"1360013600{n}", referred_by=code), None
                ).body
            )["member_id"]
        ),
        "purchase": lambda n: buy(brand, ids[n], f"p-{n}", 20_000),
        "first purchase of a referred friend": lambda n: buy(brand, friends[n], f"f-{n}", 9_000),
        "redemption": lambda n: redemptions.redeem(
            brand, ids[n], RedemptionRequest(order_id=f"r-{n}", points=100), None
        ),
        "refund": lambda n: refunds.refund(
            brand, ids[n], RefundRequest(order_id=f"p-{n}", amount=1_000), None
        ),
        "coupon redeem": lambda n: coupon_checkout.redeem(
            brand, ids[n], codes[n], CouponRedeemRequest(order_id=f"c-{n}"), "k", None
        ),
        "coupon release": lambda n: coupon_checkout.release(
            brand, ids[n], codes[n], CouponReleaseRequest(order_id=f"c-{n}"), "k", None
        ),
        "coupon exchange": lambda n: coupon_issue.exchange(
            brand, ids[n], ExchangeRequest(template_id="voucher"), None
        ),
        "wallet top-up": lambda n: wallet.top_up(
            brand, ids[n], TopupRequest(payment_id=f"p-{n}", amount=5_000), None
        ),
        "wallet payment": lambda n: wallet.pay(
            brand, ids[n], WalletPaymentRequest(order_id=f"w-{n}", amount=1_000), None
        ),
        "wallet refund": lambda n: wallet.refund(
            brand, ids[n], WalletRefundRequest(order_id=f"w-{n}", amount=500), None
        ),
        "wallet withdrawal": lambda n: wallet.withdraw(
            brand, ids[n], WithdrawalRequest(payment_id=f"p-{n}", amount=100), None
        ),
        "check-in": lambda n: checkins.check_in(brand, ids[n], CheckinRequest(), None),
    }
    shared = {}
    for name, call in cases.items():
        first, second = _two_members(brand, call)
        assert first and second, name  # each wrote something
        partitions = {pk for pk, _ in first} & {pk for pk, _ in second}
        if partitions:
            shared[name] = sorted(partitions)
    assert shared == {}
