"""Tiers through the services: upgrade at once with the welcome coupon, refunds, review job."""

from datetime import UTC, datetime, timedelta

import pytest

from loyalty_tools.demo import DEMO_TEMPLATES
from tests.conftest import set_program
from tests.helpers import add_templates, buy, enroll, ladder, member, nightly, refund
from tests.presented import coupon_checkout


def tiered(deps, **ladder_changes):
    add_templates(deps, *DEMO_TEMPLATES)
    set_program(deps, tiers=ladder(**ladder_changes))


def test_purchase__raises_tier_at_once_and_issues_welcome_coupon_in_the_same_write(brand):
    tiered(brand)
    member_id = enroll(brand)
    small = buy(brand, member_id, "o-1", 20_000)
    assert small["tier_changed"] == {"from_tier": None, "to_tier": "bronze"}
    assert small["coupons_issued"] == []  # bronze has no welcome coupon
    big = buy(brand, member_id, "o-2", 40_000)
    assert big["tier_changed"] == {"from_tier": "bronze", "to_tier": "silver"}
    assert [c["template_id"] for c in big["coupons_issued"]] == ["silver-welcome"]
    assert big["member"]["tier"] == "silver"
    assert big["member"]["tier_benefits"]["free_shipping"] is True
    listed = coupon_checkout.list_coupons(brand, member_id)
    assert [c.template_id for c in listed.usable] == ["silver-welcome"]


def test_new_tier_multiplier__applies_from_the_next_purchase(brand):
    tiered(brand)
    member_id = enroll(brand)
    raising = buy(brand, member_id, "o-1", 200_000)  # reaches gold (×1.5) with this order
    assert raising["member"]["tier"] == "gold" and raising["points_earned"] == 2000
    after = buy(brand, member_id, "o-2", 10_000)
    assert after["points_earned"] == 150
    assert after["breakdown"][-1]["rule"] == "tier_multiplier"


def test_refund__never_upgrades_and_lowers_the_metric(brand):
    tiered(brand)
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 60_000)
    refund(brand, member_id, "o-1", 30_000)
    now = member(brand, member_id)
    assert now.tier == "silver"  # a refund changes nothing until the review
    assert now.tier_progress.value == 30_000
    assert now.tier_progress.next_tier == "gold" and now.tier_progress.missing == 170_000


def test_welcome_coupon_out_of_stock__does_not_block_the_purchase(brand):
    gone = DEMO_TEMPLATES[0].model_copy(update={"total_stock": 0})
    add_templates(brand, gone, *DEMO_TEMPLATES[1:])
    set_program(brand, tiers=ladder())
    member_id = enroll(brand)
    bought = buy(brand, member_id, "o-1", 60_000)
    assert bought["tier_changed"]["to_tier"] == "silver" and bought["coupons_issued"] == []


def test_progress__shows_the_window_in_the_brand_time_zone(brand, clock):
    tiered(brand)
    clock.now = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 00:30 on 1 December in Shanghai
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 5_000)
    progress = member(brand, member_id).tier_progress
    assert (progress.window_start.isoformat(), progress.window_end.isoformat()) == (
        "2026-12-01",
        "2026-12-31",
    )
    assert (progress.value, progress.next_tier, progress.missing) == (5_000, "bronze", 5_000)


@pytest.mark.long
def test_review_job__over_a_simulated_year(brand, clock):
    """Gold in January, silence afterwards: kept at the February review (January qualified),
    kept once more on grace at the March review, then out in April."""
    tiered(brand, grace_periods=1)
    clock.now = datetime(2026, 1, 10, 4, tzinfo=UTC)
    member_id = enroll(brand)
    steady = enroll(brand, phone="13900139000")
    buy(brand, member_id, "jan", 250_000)
    history = []
    for month in range(1, 13):
        # the steady member buys ¥600 every month: silver throughout
        clock.now = datetime(2026, month, 15, 4, tzinfo=UTC)
        buy(brand, steady, f"s-{month}", 60_000)
        first_of_next = datetime(2026 + month // 12, month % 12 + 1, 1, 1, tzinfo=UTC)
        clock.now = first_of_next  # 09:00 local on the 1st
        report = nightly(brand, "tier-review", clock.now, days_back=0)
        again = nightly(brand, "tier-review", clock.now, days_back=0)
        assert again["members"] == 0  # re-running the same review changes nothing
        history.append(
            (member(brand, member_id).tier, member(brand, steady).tier, report["members"])
        )
    assert [h[0] for h in history[:4]] == ["gold", "gold", None, None]
    assert all(h[1] == "silver" for h in history)
    # both are candidates until the April review drops one; then only the steady member is
    assert [h[2] for h in history[:4]] == [2, 2, 2, 1]


@pytest.mark.long
def test_review_job__dry_run_writes_nothing(brand, clock):
    tiered(brand, grace_periods=0)
    clock.now = datetime(2026, 1, 10, 4, tzinfo=UTC)
    member_id = enroll(brand)
    buy(brand, member_id, "jan", 250_000)
    kept = nightly(brand, "tier-review", datetime(2026, 2, 1, 1, tzinfo=UTC))  # January did
    assert (kept["kept"], member(brand, member_id).tier) == (1, "gold")
    # the job did not run for ten days: the 1 March review is caught up on the 11th
    clock.now = datetime(2026, 3, 11, 1, tzinfo=UTC)
    dry = nightly(brand, "tier-review", clock.now, dry_run=True)
    assert dry.changes == [{"member_id": member_id, "from": "gold", "to": None}]
    assert member(brand, member_id).tier == "gold"
    real = nightly(brand, "tier-review", clock.now + timedelta(minutes=1))
    assert real.changes == dry.changes and member(brand, member_id).tier is None
    # the checkpoint says the night is done: the next hourly run reads nothing
    assert nightly(brand, "tier-review", clock.now + timedelta(hours=1)).runs == []


def test_activities__earn_growth_once_and_can_raise_a_growth_ladder(brand):
    import json

    import pytest

    from chalicelib.contract.engagement import ActivityRequest
    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.domain.program import Growth
    from tests.presented import activities

    set_program(
        brand,
        tiers=ladder(
            metric="growth", tiers=[ladder().tiers[0].model_copy(update={"threshold": 50})]
        ),
        growth=Growth(per_unit=1, unit_amount=100, activities={"review": 30}),
    )
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 2_500)  # 25 growth
    request = ActivityRequest(activity="review", activity_id="rev-1")
    first = json.loads(activities.record(brand, member_id, request, None).body)
    assert first["tier_changed"] == {"from_tier": None, "to_tier": "bronze"}
    assert first["member"]["growth_total"] == 55
    again = json.loads(activities.record(brand, member_id, request, None).body)
    assert again == first and member(brand, member_id).growth_total == 55
    with pytest.raises(ValidationFailed):
        activities.record(
            brand, member_id, ActivityRequest(activity="dance", activity_id="d"), None
        )
    refund(brand, member_id, "o-1", 2_500)
    assert member(brand, member_id).growth_total == 30  # refunds take growth back


def test_ladder_change__members_keep_their_tier_until_their_next_evaluation(brand):
    tiered(brand)
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 60_000)  # silver at ¥500
    stricter = ladder(
        tiers=[t.model_copy(update={"threshold": t.threshold * 10}) for t in ladder().tiers]
    )
    set_program(brand, tiers=stricter)
    assert member(brand, member_id).tier == "silver"
    assert member(brand, member_id).tier_progress.next_tier == "gold"
    buy(brand, member_id, "o-2", 1_000)  # a purchase never lowers a tier
    assert member(brand, member_id).tier == "silver"
