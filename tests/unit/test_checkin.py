"""The check-in streak (签到): days in a row, bonuses once per streak, make-ups that mend it."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.checkin import Run, Streak, check_in, make_up, next_bonus
from chalicelib.domain.errors import MakeUpRefused
from chalicelib.domain.program import Checkin, StreakBonus

RULES = Checkin(
    enabled=True,
    points=5,
    streak_bonuses=[StreakBonus(day=30, coupon="coach"), StreakBonus(day=7, points=50)],
    makeups_per_month=31,
)
DAY = timedelta(days=1)


def days_in_a_row(streak: Streak, first: date, n: int) -> tuple[Streak, list[int]]:
    paid = []
    for i in range(n):
        outcome = check_in(streak, first + i * DAY, RULES)
        streak = outcome.streak
        paid += [b.day for b in outcome.bonuses]
    return streak, paid


def test_seven_days_in_a_row_pay_the_seven_day_bonus_once__a_missed_day_starts_again():
    streak, paid = days_in_a_row(Streak(), date(2026, 11, 1), 8)
    assert paid == [7] and streak.current(date(2026, 11, 8)) == 8
    assert streak.current(date(2026, 11, 9)) == 8  # alive until today's check-in
    assert streak.current(date(2026, 11, 10)) == 0  # the 9th was missed
    again = check_in(streak, date(2026, 11, 10), RULES)
    assert again.length == 1 and again.bonuses == ()


def test_a_streak_runs_across_a_month_end_and_a_year_end():
    streak, paid = days_in_a_row(Streak(), date(2026, 12, 28), 7)
    assert paid == [7] and streak.current(date(2027, 1, 3)) == 7


def test_the_thirty_day_bonus_is_a_coupon_and_comes_after_the_seven_day_one():
    streak, paid = days_in_a_row(Streak(), date(2026, 11, 1), 30)
    assert paid == [7, 30]
    assert next_bonus(streak, date(2026, 11, 30), RULES) is None


def test_a_make_up_joins_the_runs_either_side_and_pays_no_bonus_twice():
    streak, paid = days_in_a_row(Streak(), date(2026, 11, 1), 7)  # 1..7: the 7-day bonus
    streak, more = days_in_a_row(streak, date(2026, 11, 9), 3)  # 8 missed; 9..11
    assert paid == [7] and more == [] and streak.current(date(2026, 11, 11)) == 3
    mended = make_up(streak, date(2026, 11, 8), date(2026, 11, 11), RULES)
    assert mended.length == 11 and mended.bonuses == ()
    assert mended.streak.makeups_left(RULES, date(2026, 11, 11)) == 30
    tomorrow = check_in(mended.streak, date(2026, 11, 12), RULES)
    assert tomorrow.length == 12 and tomorrow.bonuses == ()  # day 7 was paid already


def test_a_bonus_a_make_up_carries_the_streak_past_is_paid_by_the_next_check_in():
    streak, _ = days_in_a_row(Streak(), date(2026, 11, 1), 3)  # 1..3
    streak, _ = days_in_a_row(streak, date(2026, 11, 5), 4)  # 4 missed; 5..8
    mended = make_up(streak, date(2026, 11, 4), date(2026, 11, 8), RULES)
    assert mended.length == 8 and mended.bonuses == ()
    assert next_bonus(mended.streak, date(2026, 11, 8), RULES).day == 7
    assert [b.day for b in check_in(mended.streak, date(2026, 11, 9), RULES).bonuses] == [7]


def test_make_ups_are_for_past_days_of_this_month_and_counted_per_month():
    rules = RULES.model_copy(update={"makeups_per_month": 1})
    streak, _ = days_in_a_row(Streak(), date(2026, 11, 1), 2)
    with pytest.raises(MakeUpRefused, match="this month"):
        make_up(streak, date(2026, 10, 31), date(2026, 11, 2), rules)
    with pytest.raises(MakeUpRefused, match="this month"):
        make_up(streak, date(2026, 11, 2), date(2026, 11, 2), rules)  # today is no make-up
    once = make_up(streak, date(2026, 11, 3), date(2026, 11, 5), rules).streak
    with pytest.raises(MakeUpRefused, match="no make-ups left"):
        make_up(once, date(2026, 11, 4), date(2026, 11, 5), rules)
    assert once.makeups_left(rules, date(2026, 12, 1)) == 1  # a new month, a new make-up


def streak_by_brute_force(checked: set[date], today: date) -> int:
    day = today if today in checked else today - DAY
    n = 0
    while day in checked:
        n, day = n + 1, day - DAY
    return n


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.booleans(), st.integers(0, 40)), max_size=60))
def test_the_streak_is_always_the_days_in_a_row_the_records_show(steps):
    """Any mix of check-ins, missed days and make-ups: the streak equals the run of checked
    days ending today or yesterday, and no bonus is paid twice within one run of days."""
    today, streak, checked = date(2026, 10, 20), Streak(), set()
    paid_at: dict[int, list[date]] = {}
    for skip, makeup, back in steps:
        today += skip * DAY
        if makeup:
            day = today - (back % 31 + 1) * DAY
            if day.month != today.month or day in checked:
                continue
            streak = make_up(streak, day, today, RULES).streak
            checked.add(day)
        elif today not in checked:
            outcome = check_in(streak, today, RULES)
            streak = outcome.streak
            checked.add(today)
            for bonus in outcome.bonuses:
                paid_at.setdefault(bonus.day, []).append(today)
        assert streak.current(today) == streak_by_brute_force(checked, today)
    for bonus_day, days in paid_at.items():
        for earlier, later in pairwise(days):
            # paid again only for another streak: a day between the two payments was missed
            between = {earlier + i * DAY for i in range((later - earlier).days)}
            assert not between <= checked, (bonus_day, earlier, later)


def test_a_refused_make_up_names_the_make_up_field():
    none_left = RULES.model_copy(update={"makeups_per_month": 0})
    for streak, day, today, rules in [
        (Streak(), date(2026, 10, 31), date(2026, 11, 2), RULES),  # last month
        (Streak(), date(2026, 11, 1), date(2026, 11, 2), none_left),
    ]:
        with pytest.raises(MakeUpRefused) as refused:
            make_up(streak, day, today, rules)
        assert refused.value.param == "make_up"


def test_a_joined_run_keeps_the_bonuses_either_side_paid():
    paid_after = Streak((Run(date(2026, 11, 2), date(2026, 11, 8), paid_through=7),))
    joined = make_up(paid_after, date(2026, 11, 1), date(2026, 11, 9), RULES).streak
    assert joined.runs == (Run(date(2026, 11, 1), date(2026, 11, 8), paid_through=7),)
    unpaid_before = Streak((Run(date(2026, 11, 1), date(2026, 11, 2)),))
    joined = make_up(unpaid_before, date(2026, 11, 3), date(2026, 11, 9), RULES).streak
    assert joined.runs == (Run(date(2026, 11, 1), date(2026, 11, 3), paid_through=0),)
    alone = make_up(Streak(), date(2026, 11, 5), date(2026, 11, 9), RULES).streak
    assert alone.runs == (Run(date(2026, 11, 5), date(2026, 11, 5), paid_through=0),)


def test_make_ups_are_counted_in_the_month_they_are_made():
    first = make_up(Streak(), date(2026, 11, 1), date(2026, 11, 9), RULES).streak
    assert (first.makeup_month, first.makeups) == ("2026-11", 1)
    second = make_up(first, date(2026, 11, 3), date(2026, 11, 9), RULES).streak
    assert second.makeups == 2
    december = make_up(second, date(2026, 12, 1), date(2026, 12, 2), RULES).streak
    assert (december.makeup_month, december.makeups) == ("2026-12", 1)
