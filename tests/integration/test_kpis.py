"""The merchant's figures (数据看板) after a seeded history equal an independent recomputation:
the points flows from every member's ledger, the coupons from every stored coupon, members,
activity and purchases from what the history did — day by day, by week and month, and "now"."""

import contextlib
import itertools
import json
import random
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from chalicelib.contract.coupons import CouponRedeemRequest, IssueRequest
from chalicelib.contract.merges import MergeRequest
from chalicelib.domain.errors import (
    CouponLimitReached,
    DomainError,
    InsufficientPoints,
    RefundExceedsOrder,
)
from chalicelib.domain.kpis import POINTS_FLOWS
from chalicelib.store.ledger import LedgerStore
from chalicelib.store.members import MemberStore
from loyalty_tools.demo import DEMO_TEMPLATES
from tests.conftest import ENGINE, set_program
from tests.helpers import buy, enroll, ladder, redeem, refund
from tests.presented import coupon_checkout, coupon_issue, kpis, merges, templates

DAYS = 35
# moto copies its whole table in every transaction: weeks of history take it a minute of CI
ON_THE_ENGINE = pytest.mark.skipif(ENGINE == "moto", reason="on DynamoDB Local (make test-engine)")


def _day(brand, at) -> str:
    return at.astimezone(brand.programs.require().zone).date().isoformat()


@pytest.fixture
def history(brand, clock):
    """Weeks of a small brand: enrolments, purchases, partial refunds, redemptions, coupons
    issued and used, one merge; and the log of what happened, by brand-local day."""
    for template in DEMO_TEMPLATES:
        templates.create(brand, template, None)
    set_program(brand, tiers=ladder(), return_window_days=7)
    rng = random.Random(16)
    log = defaultdict(list)  # day -> [(what, member_id, amount)]
    members: list[str] = []
    enrolled: list[str] = []
    numbers = itertools.count()
    orders: list[tuple[str, str, int]] = []
    codes: list[tuple[str, str]] = []
    for n in range(DAYS):
        today = _day(brand, clock())
        for _ in range(rng.randint(0, 2)):
            members.append(enroll(brand, f"1380000{len(enrolled):04d}"))
            enrolled.append(members[-1])
            log[today].append(("enrolled", members[-1], 0))
        for _ in range(rng.randint(0, 5)):
            if not members:
                break
            who = rng.choice(members)
            order_id, amount = f"o-{next(numbers)}", rng.randint(1, 800) * 100
            buy(brand, who, order_id, amount)
            orders.append((who, order_id, amount))
            log[today].append(("bought", who, amount))
        if orders and rng.random() < 0.5:
            who, order_id, amount = rng.choice(orders)
            try:
                refund(brand, who, order_id, amount // 4)
                log[today].append(("refunded", who, amount // 4))
            except RefundExceedsOrder:  # refunded in full already
                pass
        if orders and rng.random() < 0.5:
            who = rng.choice(orders)[0]
            with contextlib.suppress(InsufficientPoints):  # not enough points vested yet
                redeem(brand, who, f"r-{n}", 100)
        if members and rng.random() < 0.4:
            who = rng.choice(members)
            with contextlib.suppress(CouponLimitReached):  # it holds the most it may
                answer = coupon_issue.issue(
                    brand, "silver-welcome", IssueRequest(member_id=who), None
                )
                codes.append((who, json.loads(answer.body)["coupon"]["code"]))
        if codes and rng.random() < 0.3:
            who, code = codes.pop(0)
            request = CouponRedeemRequest(order_id=f"c-{n}")
            coupon_checkout.redeem(brand, who, code, request, "admin", None)
        if n == DAYS - 3:  # one person enrolled twice
            survivor, merged = members[0], members[1]
            merges.merge_members(brand, survivor, MergeRequest(from_member_id=merged), None)
            log[today].append(("merged", merged, 0))
            members.remove(merged)
            orders = [o for o in orders if o[0] != merged]
            codes = [c for c in codes if c[0] != merged]
        clock.advance(days=1)
    return log, members


def _expected_day_flows(brand, log, members_ever):
    """Each day's flows, recomputed: points from the ledgers, the rest from the log."""
    flows: dict[str, Counter] = defaultdict(Counter)
    bought_on: dict[str, set] = defaultdict(set)
    for day in sorted(log):
        active_today, buyers_today = set(), set()
        for what, who, amount in log[day]:
            counts = flows[day]
            if what == "enrolled":
                counts["members_new"] += 1
            elif what == "merged":
                counts["members_merged"] += 1
            elif what == "bought":
                counts["orders"] += 1
                counts["sales"] += amount
                active_today.add(who)
                buyers_today.add(who)
            elif what == "refunded":
                counts["refunds"] += 1
                counts["refunded_amount"] += amount
        flows[day]["active"] += len(active_today)
        flows[day]["purchasers"] += len(buyers_today)
        flows[day]["repeat_purchasers"] += len({m for m in buyers_today if bought_on[m]})
        for who in buyers_today:
            bought_on[who].add(day)
    for member_id in members_ever:
        for row in LedgerStore().all(member_id):
            name = POINTS_FLOWS.get(row.kind)
            if name is not None:
                moved = row.balance_delta if row.kind in ("vest", "debt_repayment") else row.points
                flows[_day(brand, row.created_at)][name] += abs(moved)
    return flows, bought_on


@ON_THE_ENGINE
def test_the_figures_equal_a_recomputation_from_the_ledger_and_the_history(
    brand, clock, history, pump
):
    log, members = history
    pump()  # the weeks' changes, folded by the stream consumer
    members_ever = {who for day in log.values() for what, who, _ in day if what == "enrolled"}
    expected, bought_on = _expected_day_flows(brand, log, members_ever)
    first = date.fromisoformat(min(log))
    last = first + timedelta(days=DAYS - 1)
    out = kpis.figures(brand, first, last, "day")

    assert len(out.periods) == DAYS
    fields = [*POINTS_FLOWS.values(), "members_new", "members_merged", "active", "purchasers"]
    fields += ["repeat_purchasers", "orders", "sales", "refunds", "refunded_amount"]
    for period in out.periods:
        day = period.period_start.isoformat()
        got = {name: getattr(period, name) for name in fields}
        assert got == {name: expected[day][name] for name in fields}, day
    assert out.totals.orders == sum(c["orders"] for c in expected.values()) > 2 * DAYS
    assert out.totals.points_issued == out.totals.points_earned > 0
    assert out.totals.points_redeemed > 0 and out.totals.points_clawed_back > 0

    # coupons, recomputed from every coupon stored (rule coupons of the tier-ups included)
    issued, used = Counter(), Counter()
    for member_id in members_ever:
        for coupon in brand.coupons.coupons(member_id):
            issued[coupon.template.template_id] += 1
            used[coupon.template.template_id] += coupon.status == "redeemed"
    assert {t: (c.issued, c.redeemed) for t, c in out.totals.coupons.items()} == {
        t: (issued[t], used[t]) for t in issued
    }
    assert out.coupon_redemption_rate == round(sum(used.values()) / sum(issued.values()), 4)

    # weeks and months add up to the days
    for grain in ("week", "month"):
        coarse = kpis.figures(brand, first, last, grain)
        assert sum(p.days for p in coarse.periods) == DAYS
        assert sum(p.sales for p in coarse.periods) == out.totals.sales
        assert sum(p.points_vested for p in coarse.periods) == out.totals.points_vested
        assert coarse.periods[0].period_start == first

    # now: members, who was active / bought in the last 7 and 30 days, tiers
    now = out.now
    today = date.fromisoformat(_day(brand, clock()))
    within = {(today - timedelta(days=n)).isoformat() for n in range(30)}
    week = {(today - timedelta(days=n)).isoformat() for n in range(7)}
    survivor = members[0]
    merged_away = next(w for d in log.values() for what, w, _ in d if what == "merged")
    days_of = {m: set(bought_on[m]) for m in members}
    days_of[survivor] |= bought_on.pop(merged_away, set())
    assert now.members == len(members)
    assert now.active_7d == len([m for m in members if days_of[m] & week])
    assert now.active_30d == len([m for m in members if days_of[m] & within])
    assert now.purchasers_30d == now.active_30d  # purchases are the only activity here
    assert now.repeat_purchasers_30d == len([m for m in members if len(days_of[m] & within) >= 2])
    store = MemberStore()
    tiers = Counter(store.member(m).tier or "-" for m in members)
    assert now.tiers == dict(tiers)
    balances = sum(store.member(m).balances.balance for m in members)
    assert now.liability.points_outstanding == balances
    codes = {w.code for w in now.warnings}
    assert ("active_ratio_7d_low" in codes) == (now.active_ratio_7d < 0.4)


def test_a_retried_purchase_counts_once(brand, pump):
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 10_000)
    buy(brand, member_id, "o-1", 10_000)  # the storefront retried: the first answer
    pump()
    pump()  # the stream delivers the batch again: nothing counted twice
    day = kpis.figures(brand, None, None, "day").periods[-1]
    assert (day.orders, day.sales, day.purchasers, day.members_new) == (1, 10_000, 1, 1)
    assert day.points_earned == 100


def test_bad_ranges_name_the_field(brand):
    with pytest.raises(DomainError) as after:
        kpis.figures(brand, date(2026, 3, 2), date(2026, 3, 1), "day")
    assert after.value.param == "from"
    with pytest.raises(DomainError) as long:
        kpis.figures(brand, date(2025, 1, 1), date(2026, 3, 1), "day")
    assert long.value.param == "from"
