"""The member's own changes as pure rules: the lifecycle's lapse, a tier entered and reviewed."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain import membership
from chalicelib.domain.members import Member
from chalicelib.domain.program import Lifecycle, Program, Tier, TierLadder, TierWindow

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = Lifecycle(dormant_after_days=30, winback_cooldown_days=10, churned_after_days=45)
LADDER = TierLadder(
    metric="spend",
    window=TierWindow(kind="calendar", period="month"),
    tiers=[Tier(name="silver", threshold=500), Tier(name="gold", threshold=2000)],
    grace_periods=1,
)


def idle_since(day: date) -> Member:
    # 23:30 in Shanghai on `day` is 15:30 UTC the same day: the brand-local day counts
    at = datetime(day.year, day.month, day.day, 15, 30, tzinfo=UTC)
    return Member(member_id="mem_1", created_at=at, updated_at=at, last_active_at=at)


def test_lapse__dormant_on_its_first_day_with_a_nudge_then_every_cooldown():
    active = date(2026, 1, 1)
    member = idle_since(active)
    first = active + timedelta(days=30)
    found = membership.lapse(RULES, SHANGHAI, member, first)
    assert (found.turned_dormant, found.churned, found.nudge) == (True, False, True)
    assert member.dormant_since == first.isoformat()
    assert member.dormant_on == (first + timedelta(days=10)).isoformat()  # the next nudge

    again = membership.lapse(RULES, SHANGHAI, member, first + timedelta(days=10))
    assert (again.turned_dormant, again.churned, again.nudge) == (False, False, True)
    assert member.dormant_since == first.isoformat()  # dormant since its first day still
    # the churn day (45 days after the last activity) comes before the next nudge
    assert member.dormant_on == (active + timedelta(days=45)).isoformat()


def test_lapse__churned_on_the_churn_day_and_never_twice():
    active = date(2026, 1, 1)
    member = idle_since(active)
    membership.lapse(RULES, SHANGHAI, member, active + timedelta(days=30))
    churn_day = active + timedelta(days=45)
    found = membership.lapse(RULES, SHANGHAI, member, churn_day)
    assert (found.churned, found.nudge) == (True, False)  # 15 days into a 10-day cooldown
    assert member.churned_since == churn_day.isoformat()
    assert member.dormant_on == (active + timedelta(days=50)).isoformat()  # the next nudge only
    later = membership.lapse(RULES, SHANGHAI, member, active + timedelta(days=50))
    assert (later.churned, later.nudge) == (False, True)
    assert member.churned_since == churn_day.isoformat()


def test_lapse__no_churn_when_the_program_has_none():
    rules = Lifecycle(dormant_after_days=30, winback_cooldown_days=10, churned_after_days=None)
    member = idle_since(date(2026, 1, 1))
    found = membership.lapse(rules, SHANGHAI, member, date(2026, 12, 1))
    assert not found.churned and member.churned_since is None


def test_enter_tier__holds_it_from_now_with_full_grace_and_a_review_at_the_window_end():
    member = idle_since(date(2026, 3, 1))
    now = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    program = Program(name="B", currency="CNY", time_zone="Asia/Shanghai", tiers=LADDER)
    membership.enter_tier(program, member, "gold", now)
    assert (member.tier, member.tier_since, member.tier_grace_left) == ("gold", now, 1)
    assert member.tier_review_on == "2026-04-01"  # the day after the month's window


def test_review__grace_first_then_lowered_and_the_review_day_moves_on():
    member = idle_since(date(2026, 3, 1))
    member.tier, member.tier_grace_left = "gold", 1
    member.tier_since = datetime(2026, 1, 1, tzinfo=UTC)
    day, now = date(2026, 3, 31), datetime(2026, 3, 31, 16, 5, tzinfo=UTC)
    kept = membership.review(LADDER, member, day, now)
    assert (member.tier, member.tier_grace_left) == ("gold", 0) and not kept.changed("gold")
    assert member.tier_since == datetime(2026, 1, 1, tzinfo=UTC)  # kept: the same since
    assert member.tier_review_on is not None and member.tier_review_on > day.isoformat()

    next_day = date.fromisoformat(member.tier_review_on)
    lowered = membership.review(LADDER, member, next_day, now + timedelta(days=30))
    assert lowered.changed("gold") and member.tier is None
    assert member.tier_since is None and member.tier_review_on is None  # no tier: no review


def test_standing__is_what_the_figures_count_of_a_member_field_by_field():
    at = datetime(2026, 11, 1, tzinfo=UTC)
    member = Member(
        member_id="mem_1",
        created_at=at,
        updated_at=at,
        last_active_at=at,
        tier="gold",
        merged_into="mem_9",
        merged_from=["mem_2", "mem_3"],
        active_day="2026-11-03",
        purchase_day="2026-11-02",
        prev_purchase_day="2026-10-30",
    )
    standing = member.standing()
    assert (standing.merged_into, standing.merged_from, standing.tier) == ("mem_9", 2, "gold")
    assert (standing.active_day, standing.purchase_day, standing.prev_purchase_day) == (
        "2026-11-03",
        "2026-11-02",
        "2026-10-30",
    )
