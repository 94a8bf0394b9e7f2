"""The nightly `figures` job: the standing figures as each brand-local day ended, so the
merchant's figures carry the active ratios and the repurchase rate day by day; a night missed
is not made up from marks that have moved on since."""

from datetime import timedelta

from tests.helpers import buy, enroll, nightly
from tests.presented import kpis


def test_each_night_keeps_the_day_ends_ratios(brand, clock, pump):
    zone = brand.programs.require().zone
    a, b = enroll(brand, "13800138000"), enroll(brand, "13800138001")
    buy(brand, a, "o-1", 10_000)
    first = clock().astimezone(zone).date()
    midnight = clock().astimezone(zone).replace(hour=0, minute=30) + timedelta(days=1)
    clock.now = midnight
    pump()  # the day's changes, folded by the stream consumer before the night reads them
    night = nightly(brand, "figures", clock())
    assert night["snapshots"] == 1 and night["figures.active_7d"] == 1
    buy(brand, b, "o-2", 5_000)  # the next day: both active, the first day's snapshot stays
    clock.now = midnight + timedelta(days=1)
    pump()
    nightly(brand, "figures", clock())
    buy(brand, a, "o-3", 5_000)
    pump()
    figures = kpis.figures(brand, first, first + timedelta(days=2), "day")
    ratios = [(p.active_ratio_7d, p.repurchase_rate_30d) for p in figures.periods]
    assert ratios == [(0.5, 0.0), (1.0, 0.0), (None, None)]  # today is not over
    assert figures.totals.active_ratio_7d == 1.0  # the range's last day kept
    assert figures.now.repurchase_rate_30d == 0.5  # now: a bought again today

    clock.now = midnight + timedelta(days=5)  # three nights missed
    caught_up = nightly(brand, "figures", clock())
    assert caught_up["superseded"] == 3 and caught_up["snapshots"] == 1
    later = kpis.figures(brand, first, first + timedelta(days=5), "day").periods
    assert [p.active_ratio_7d is not None for p in later] == [True, True, False, False, False, True]
