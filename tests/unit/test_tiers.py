"""Pure tier evaluation: windows and their boundaries, upgrade, review with grace, progress."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import tiers
from chalicelib.domain.program import Tier, TierLadder, TierWindow

MONTH = TierWindow(kind="calendar", period="month")
LADDER = TierLadder(
    metric="spend",
    window=MONTH,
    tiers=[
        Tier(name="bronze", threshold=100),
        Tier(name="silver", threshold=500),
        Tier(name="gold", threshold=2000),
    ],
)


def spend(*entries: tuple[date, int], window: TierWindow = MONTH, today: date) -> dict:
    buckets: dict = {}
    for day, amount in entries:
        buckets = tiers.record(buckets, window, day, spend=amount, orders=1, today=today)
    return buckets


def test_window_bounds__calendar_periods_and_rolling_days():
    day = date(2026, 11, 23)
    assert tiers.window_bounds(day, MONTH) == (date(2026, 11, 1), date(2026, 11, 30))
    quarter = TierWindow(kind="calendar", period="quarter")
    assert tiers.window_bounds(day, quarter) == (date(2026, 10, 1), date(2026, 12, 31))
    year = TierWindow(kind="calendar", period="year")
    assert tiers.window_bounds(day, year) == (date(2026, 1, 1), date(2026, 12, 31))
    rolling = TierWindow(kind="rolling_days", days=30)
    assert tiers.window_bounds(day, rolling) == (date(2026, 10, 25), day)


def test_window_value__counts_only_the_local_days_of_the_window():
    # the caller passes brand-local days: 31 Oct is last month, 1 Nov this month
    buckets = spend((date(2026, 10, 31), 400), (date(2026, 11, 1), 150), today=date(2026, 11, 2))
    assert tiers.window_value(buckets, LADDER, date(2026, 11, 2)) == 150
    assert tiers.window_value(buckets, LADDER, date(2026, 10, 31)) == 400


def test_upgrade__jumps_straight_to_the_highest_tier_reached():
    buckets = spend((date(2026, 11, 5), 2500), today=date(2026, 11, 5))
    raised = tiers.upgrade(LADDER, None, buckets, date(2026, 11, 5))
    assert raised is not None and (raised.old, raised.new.name) == (None, "gold")
    assert tiers.upgrade(LADDER, "gold", buckets, date(2026, 11, 5)) is None


def test_upgrade__never_lowers():
    buckets = spend((date(2026, 11, 5), 150), today=date(2026, 11, 5))
    assert tiers.upgrade(LADDER, "silver", buckets, date(2026, 11, 5)) is None


def test_review__downgrades_to_what_the_ended_window_earned():
    buckets = spend((date(2026, 10, 5), 150), today=date(2026, 10, 5))
    decision = tiers.review(LADDER, "gold", 0, buckets, review_day=date(2026, 11, 1))
    assert (decision.tier, decision.value) == ("bronze", 150)


def test_review__grace_keeps_the_tier_for_one_period_then_drops():
    ladder = LADDER.model_copy(update={"grace_periods": 1})
    first = tiers.review(ladder, "gold", 1, {}, review_day=date(2026, 11, 1))
    assert (first.tier, first.grace_left) == ("gold", 0)
    second = tiers.review(ladder, "gold", first.grace_left, {}, review_day=date(2026, 12, 1))
    assert second.tier is None


def test_review__requalifying_restores_grace_and_never_raises():
    ladder = LADDER.model_copy(update={"grace_periods": 2})
    buckets = spend((date(2026, 10, 5), 5000), today=date(2026, 10, 5))
    decision = tiers.review(ladder, "silver", 0, buckets, review_day=date(2026, 11, 1))
    assert (decision.tier, decision.grace_left) == ("silver", 2)


def test_next_review__is_the_day_after_the_window_or_next_month_for_rolling():
    assert tiers.next_review(date(2026, 11, 23), MONTH) == date(2026, 12, 1)
    quarter = TierWindow(kind="calendar", period="quarter")
    assert tiers.next_review(date(2026, 11, 23), quarter) == date(2027, 1, 1)
    rolling = TierWindow(kind="rolling_days", days=30)
    assert tiers.next_review(date(2026, 12, 31), rolling) == date(2027, 1, 1)


def test_progress__says_what_is_missing_for_the_next_tier_and_by_when():
    buckets = spend((date(2026, 11, 3), 320), today=date(2026, 11, 3))
    found = tiers.progress(LADDER, "bronze", buckets, date(2026, 11, 3))
    assert (found.value, found.next_tier, found.missing) == (320, "silver", 180)
    assert found.window_end == date(2026, 11, 30)
    top = tiers.progress(LADDER, "gold", buckets, date(2026, 11, 3))
    assert (top.next_tier, top.missing) == (None, 0)


def test_record__refunds_lower_metrics_and_old_buckets_are_dropped():
    buckets = spend((date(2026, 1, 5), 300), (date(2026, 11, 5), 200), today=date(2026, 11, 5))
    assert set(buckets) == {"2026-11"}
    lowered = tiers.record(
        buckets, MONTH, date(2026, 11, 5), spend=-500, orders=-1, today=date(2026, 11, 6)
    )
    assert lowered["2026-11"] == [0, 0, 0]


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 10_000)), max_size=30))
def test_rolling_window__value_is_the_sum_of_the_last_n_days(entries):
    rolling = TierWindow(kind="rolling_days", days=30)
    ladder = LADDER.model_copy(update={"window": rolling})
    today = date(2026, 6, 30)
    buckets: dict = {}
    for back, amount in entries:
        day = date.fromordinal(today.toordinal() - back)
        buckets = tiers.record(buckets, rolling, day, spend=amount, today=today)
    expected = sum(amount for back, amount in entries if back < 30)
    assert tiers.window_value(buckets, ladder, today) == expected


def test_next_review__of_a_rolling_window_is_the_first_of_next_month():
    rolling = TierWindow(kind="rolling_days", days=30)
    assert tiers.next_review(date(2026, 11, 23), rolling) == date(2026, 12, 1)


def test_review__counts_the_day_before_the_review_day_in_a_rolling_window():
    rolling = LADDER.model_copy(update={"window": TierWindow(kind="rolling_days", days=30)})
    buckets = tiers.record(
        {}, rolling.window, date(2026, 10, 31), spend=600, today=date(2026, 10, 31)
    )
    decision = tiers.review(rolling, "silver", 0, buckets, review_day=date(2026, 11, 1))
    assert (decision.tier, decision.value, decision.grace_left) == ("silver", 600, 0)


def test_review__a_tier_the_ladder_no_longer_has_becomes_what_the_member_earns():
    buckets = spend((date(2026, 10, 5), 600), today=date(2026, 10, 5))
    ladder = LADDER.model_copy(update={"grace_periods": 2})
    gone = tiers.review(ladder, "platinum", 0, buckets, review_day=date(2026, 11, 1))
    assert (gone.tier, gone.grace_left, gone.value) == ("silver", 2, 600)
    none = tiers.review(ladder, None, 0, buckets, review_day=date(2026, 11, 1))
    assert (none.tier, none.grace_left, none.value) == (None, 2, 600)


def test_review__keeping_the_tier_reports_the_value_that_kept_it():
    buckets = spend((date(2026, 10, 5), 700), today=date(2026, 10, 5))
    kept = tiers.review(LADDER, "silver", 0, buckets, review_day=date(2026, 11, 1))
    assert (kept.tier, kept.value) == ("silver", 700) and not kept.changed("silver")
    assert kept.changed("gold")


def test_ranks__are_zero_for_no_tier_then_one_for_the_lowest():
    assert [LADDER.rank(n) for n in (None, "bronze", "silver", "gold", "gone")] == [0, 1, 2, 3, 0]


def test_record__growth_alone_changes_only_growth():
    buckets = tiers.record({}, MONTH, date(2026, 11, 5), growth=7, today=date(2026, 11, 5))
    assert buckets == {"2026-11": [0, 0, 7]}
