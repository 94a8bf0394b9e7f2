"""Nightly birthday perks and dormancy win-back, replayed on chosen dates with the clock."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.contract.members import EnrollRequest
from chalicelib.domain.program import Lifecycle
from tests.conftest import set_program
from tests.helpers import add_templates, buy, ladder, nightly, template
from tests.presented import coupon_checkout, members


def born(deps, phone, birthday):
    request = EnrollRequest(phone=phone, birthday=birthday)
    return json.loads(members.enroll(deps, request, None).body)["member_id"]


def held(deps, member_id):
    return sorted(c.template_id for c in coupon_checkout.list_coupons(deps, member_id).usable)


@pytest.mark.long
def test_birthday__tier_gift_or_program_coupon_once_a_year(brand, clock):
    tiers = ladder()
    add_templates(
        brand,
        template("cake", per_member_limit=None),
        template("birthday-gift", kind="free_shipping", per_member_limit=None),
        template("silver-welcome"),
        template("gold-welcome"),
    )
    set_program(brand, tiers=tiers, lifecycle=Lifecycle(birthday_coupon="cake"))
    clock.now = datetime(2026, 3, 1, 4, tzinfo=UTC)
    plain = born(brand, "13800138000", date(1990, 3, 5))
    silver = born(brand, "13900139000", date(1985, 3, 5))
    other_day = born(brand, "13700137000", date(1990, 3, 6))
    buy(brand, silver, "o-1", 60_000)
    night = datetime(2026, 3, 4, 16, 30, tzinfo=UTC)  # 00:30 on 5 March in Shanghai
    report = nightly(brand, "birthdays", night)
    assert report["coupons_issued"] == 2
    assert held(brand, plain) == ["cake"]
    assert held(brand, silver) == ["birthday-gift", "silver-welcome"]
    assert held(brand, other_day) == []
    again = nightly(brand, "birthdays", night, days_back=1)  # re-read the same nights
    assert again["coupons_issued"] == 0 and held(brand, plain) == ["cake"]
    assert again["members"] == 0  # its partitions are done: not read again
    next_year = nightly(brand, "birthdays", night.replace(year=2027), days_back=0)
    assert next_year["coupons_issued"] == 2


def test_birthday__29_february_is_celebrated_on_the_28th_in_other_years(brand):
    add_templates(brand, template("cake", per_member_limit=None))
    set_program(brand, lifecycle=Lifecycle(birthday_coupon="cake"))
    leapling = born(brand, "13800138000", date(2000, 2, 29))
    nightly(brand, "birthdays", datetime(2027, 2, 28, 4, tzinfo=UTC), days_back=0)
    assert held(brand, leapling) == ["cake"]


@pytest.mark.moto_slow  # 67 s on moto, 43 s on the engine
def test_winback__after_the_idle_days_then_again_after_the_cooldown(brand, clock):
    add_templates(brand, template("miss-you", per_member_limit=None))
    set_program(
        brand,
        lifecycle=Lifecycle(
            dormant_after_days=30, winback_coupon="miss-you", winback_cooldown_days=60
        ),
    )
    clock.now = datetime(2026, 3, 1, 4, tzinfo=UTC)
    idle = born(brand, "13800138000", None)
    busy = born(brand, "13900139000", None)
    for day in range(1, 121):
        clock.now = datetime(2026, 3, 1, 4, tzinfo=UTC) + timedelta(days=day)
        if day % 20 == 0:
            buy(brand, busy, f"o-{day}", 1_000)
        nightly(brand, "dormancy", clock.now)
    # idle: dormant on 31 March, nudged again 60 days later (30 May); busy never
    given = coupon_checkout.list_coupons(brand, idle)
    issued_on = sorted(c.valid_from.date().isoformat() for c in given.usable + given.expired)
    assert issued_on == ["2026-03-31", "2026-05-30"]
    busy_coupons = coupon_checkout.list_coupons(brand, busy)
    assert busy_coupons.usable == [] and busy_coupons.expired == []


def test_member__turns_dormant_after_the_idle_days_and_active_again_on_a_purchase(brand, clock):
    from tests.helpers import member

    set_program(brand, lifecycle=Lifecycle(dormant_after_days=30))
    member_id = born(brand, "13800138000", None)
    clock.advance(days=29)
    assert member(brand, member_id).lifecycle_state == "active"
    clock.advance(days=1)
    assert member(brand, member_id).lifecycle_state == "dormant"
    buy(brand, member_id, "o-1", 1_000)
    again = member(brand, member_id)
    assert again.lifecycle_state == "active" and again.last_active_at == clock.now


def test_winback__dry_run_gives_nothing(brand, clock):
    add_templates(brand, template("miss-you"))
    set_program(brand, lifecycle=Lifecycle(dormant_after_days=1, winback_coupon="miss-you"))
    idle = born(brand, "13800138000", None)
    report = nightly(brand, "dormancy", clock.now + timedelta(days=2), dry_run=True)
    assert report.changes == [{"member_id": idle, "template_id": "miss-you"}]
    assert held(brand, idle) == [] and report["events.member.dormant"] == 1
