"""What a member's change adds to the merchant's figures (pure)."""

from datetime import date

from chalicelib.domain import kpis
from chalicelib.domain.members import Standing


def test_a_first_purchase_of_the_day_moves_the_marks_and_counts_once():
    before = Standing(tier="silver", active_day="2026-11-28", purchase_day="2026-11-28")
    after = Standing(
        tier="gold",
        active_day="2026-12-01",
        purchase_day="2026-12-01",
        prev_purchase_day="2026-11-28",
    )
    assert kpis.member_flows(before, after, "2026-12-01") == {
        "tier_changes": 1,
        "active": 1,
        "purchasers": 1,
        "repeat_purchasers": 1,
    }
    assert kpis.moved(kpis.marks(before), kpis.marks(after)) == {
        "tier@silver": -1,
        "tier@gold": 1,
        "active_mark@2026-11-28": -1,
        "active_mark@2026-12-01": 1,
        "purchase_mark@2026-11-28": -1,
        "purchase_mark@2026-12-01": 1,
        "prev_purchase_mark@2026-11-28": 1,
    }
    again = kpis.member_flows(after, after, "2026-12-01")  # a second purchase the same day
    assert again == {}


def test_enrolled_merged_and_taking_a_member_in():
    new = Standing(tier=None)
    assert kpis.member_flows(None, new, "2026-12-01") == {"members_new": 1}
    assert kpis.marks(new) == {"members": 1, "tier@-": 1}
    gone = Standing(merged_into="mem_x", merged_from=0)
    assert kpis.member_flows(new, gone, "2026-12-01") == {"members_merged": 1}
    assert kpis.marks(gone) == {}
    # the survivor takes the merged member's later activity: its marks move, no activity counts
    survivor = Standing(active_day="2026-11-01")
    took_in = Standing(merged_from=1, active_day="2026-12-01")
    assert kpis.member_flows(survivor, took_in, "2026-12-01") == {}


def test_purchase_days_and_points_flows():
    from chalicelib.domain.members import Member
    from chalicelib.domain.points import LedgerRow

    member = Member("mem_a", created_at=None, updated_at=None)  # type: ignore[arg-type]
    kpis.on_purchase(member, "2026-11-30")
    kpis.on_purchase(member, "2026-11-30")
    kpis.on_purchase(member, "2026-12-01")
    assert (member.purchase_day, member.prev_purchase_day) == ("2026-12-01", "2026-11-30")

    def row(kind, points, balance=0):
        return LedgerRow("e", 1, kind, points, balance, 0, 0, 0, 0, 0, "", None, (), None)  # type: ignore[arg-type]

    rows = [row("earn", 100), row("vest", 0, 80), row("redeem", -50, -50), row("merge_in", 10)]
    assert kpis.points_flows(rows) == {
        "points_earned": 100,
        "points_vested": 80,
        "points_redeemed": 50,
    }


def test_periods():
    assert kpis.period_of(date(2026, 12, 3), "week") == date(2026, 11, 30)  # a Thursday
    assert kpis.period_of(date(2026, 12, 3), "month") == date(2026, 12, 1)
    assert kpis.ratio(1, 3) == 0.3333 and kpis.ratio(1, 0) is None
