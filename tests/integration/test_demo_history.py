"""`loyalty demo seed`: a history written through the use cases, on its own days; the books add
up, the figures count it, and a second run changes nothing."""

from datetime import timedelta

import pytest

from loyalty_tools.demo import seed
from loyalty_tools.demo_history import seed_history
from tests.conftest import ENGINE
from tests.presented import kpis, reconciliation

MEMBERS, DAYS = 25, 20
# moto copies its whole table in every transaction: the history takes it long
pytestmark = pytest.mark.skipif(ENGINE == "moto", reason="on DynamoDB Local (make test-engine)")


def test_a_demo_history_reconciles_and_a_second_run_changes_nothing(deps, clock, pump):
    seed(deps)
    days_seen = []

    def set_clock(at):
        clock.now = at

    done = seed_history(deps, set_clock, MEMBERS, DAYS, seed=7, progress=days_seen.append)
    assert done.enrolled == MEMBERS and done.purchases > MEMBERS and days_seen[-1] == DAYS
    last = clock().astimezone(deps.programs.require().zone).date()
    pump()  # the figures come off the stream, as the stream consumer folds them
    figures = kpis.figures(deps, last - timedelta(days=DAYS - 1), last, "day")
    assert figures.totals.members_new == MEMBERS and figures.now.members == MEMBERS
    assert figures.totals.orders == done.purchases
    assert figures.totals.refunds == done.refunds
    assert len({p.period_start for p in figures.periods if p.orders}) > 3  # spread over days
    books = reconciliation.brand_page(deps, 1000, None)
    assert books.ok, books.mismatches

    clock.now -= timedelta(hours=2)
    seed_history(deps, set_clock, MEMBERS, DAYS, seed=7)  # the same history again: all replays
    pump()
    again = kpis.figures(deps, last - timedelta(days=DAYS - 1), last, "day")
    assert again.totals.orders == done.purchases and again.now.members == MEMBERS
