"""The runner's other jobs: expiry reminders (the amount really left, once per member and
reminder, resumable after any page, two runners at once), the lifecycle to churn, and the
scheduled function that goes on where it stopped."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from chalicelib.domain.program import Lifecycle, RollingExpiry
from chalicelib.jobs import runner, schedules
from chalicelib.jobs.reminders import REMINDERS
from chalicelib.jobs.settle import SETTLE
from chalicelib.store import keys
from chalicelib.store.ledger import LedgerStore
from chalicelib.store.models import ReminderItem
from tests.conftest import set_program
from tests.helpers import buy, enroll, member, nightly, redeem

LAST_DAY = date(2026, 4, 1)  # bought 1 March, noon in Shanghai: spendable through 1 April
REMIND_ON = date(2026, 3, 25)  # 7 days before
AT_NIGHT = datetime(2026, 3, 24, 17, 30, tzinfo=UTC)  # 01:30 on 25 March in Shanghai


def reminders_of(member_id):
    return {
        (i.expires_on, int(i.days_before)): int(i.points)
        for i in ReminderItem.query(
            keys.member_pk(member_id), ReminderItem.sk.startswith("REMIND#")
        )
    }


@pytest.fixture
def shoppers(brand, clock):
    """Six members: four bought once, one twice (two lots ending the same day), one spent all."""
    set_program(brand, expiry=RollingExpiry(months=1, reminder_days=[7, 1]))
    people = [enroll(brand, phone=f"1380013{n:04d}") for n in range(6)]
    expected = {}
    for n, member_id in enumerate(people):
        buy(brand, member_id, f"o-{n}", 10_000 * (n + 1))
        expected[member_id] = 100 * (n + 1)
    buy(brand, people[4], "o-4b", 5_000)
    expected[people[4]] += 50
    clock.advance(days=3)
    redeem(brand, people[1], "r-1", 100)  # what is left is what will expire
    expected[people[1]] -= 100
    redeem(brand, people[5], "r-5", expected[people[5]])
    del expected[people[5]]
    clock.now = AT_NIGHT
    return brand, expected, people[5]


def test_reminders__the_amount_left_on_each_reminder_day_once(shoppers, clock):
    brand, expected, gone = shoppers
    first = nightly(brand, "reminders", clock.now, days=[REMIND_ON])
    assert first["members_reminded"] == len(expected)
    assert reminders_of(gone) == {}  # it spent the lot: nothing left to expire, no reminder
    assert first["events.points.expiring"] == len(expected)
    for member_id, points in expected.items():
        assert reminders_of(member_id) == {(LAST_DAY.isoformat(), 7): points}
    again = nightly(brand, "reminders", clock.now, days=[REMIND_ON])  # by hand: its partitions
    assert again["members"] == 0  # are done, and not read again
    replay = nightly(brand, "reminders", clock.now, days=[REMIND_ON], dry_run=True)
    assert replay["members_reminded"] == 0 and replay["already_sent"] == len(expected)
    # the day before: the second reminder, with what is left by then
    spender = list(expected)[2]
    clock.now = datetime(2026, 3, 30, 17, 30, tzinfo=UTC)
    redeem(brand, spender, "r-late", 100)
    nightly(brand, "reminders", clock.now, days=[date(2026, 3, 31)])
    assert reminders_of(spender)[(LAST_DAY.isoformat(), 1)] == expected[spender] - 100


def test_reminders__a_dry_run_counts_and_writes_nothing(shoppers, clock):
    brand, expected, _ = shoppers
    dry = nightly(brand, "reminders", clock.now, days=[REMIND_ON], dry_run=True)
    assert dry["members_reminded"] == len(expected)
    assert dry["expiring_points"] == sum(expected.values())
    assert all(reminders_of(m) == {} for m in expected)
    real = nightly(brand, "reminders", clock.now, days=[REMIND_ON])
    assert real.counts == dry.counts


def _setup_for(job, brand, clock):
    if job is SETTLE:
        clock.now = datetime(2026, 4, 2, 1, tzinfo=UTC)
        return LAST_DAY
    return REMIND_ON


def _effects(job, brand, members):
    """What the job left per member: the expiry rows, or the reminders."""
    if job is SETTLE:
        return {m: [r.points for r in LedgerStore().all(m) if r.kind == "expire"] for m in members}
    return {m: reminders_of(m) for m in members}


@pytest.mark.parametrize("job", [SETTLE, REMINDERS], ids=["expiry", "reminders"])
@pytest.mark.parametrize("stop", ["0", "1", "before-last", "last"])
def test_killed_after_k_pages_then_run_again__the_night_is_done_once(shoppers, clock, job, stop):
    brand, expected, _ = shoppers
    day = _setup_for(job, brand, clock)
    members = list(expected)
    dry, _ = runner.run(brand, job, day, now=clock.now, page=1, dry_run=True)
    k = {"0": 0, "1": 1, "before-last": dry.pages - 1, "last": dry.pages}[stop]
    stopped, _ = runner.run(brand, job, day, now=clock.now, page=1, stop_after_pages=k)
    assert stopped.pages == k
    assert stopped.status == ("finished" if k == dry.pages else "stopped")
    rest, _ = runner.run(brand, job, day, now=clock.now, page=1)
    assert rest.status == "finished" and stopped.pages + rest.pages == dry.pages
    changed = stopped.counts.get(job.changed, 0) + rest.counts.get(job.changed, 0)
    assert changed == dry.counts[job.changed]  # each member once, whichever run did it
    effects = _effects(job, brand, members)
    for member_id, points in expected.items():
        want = [-points] if job is SETTLE else {(LAST_DAY.isoformat(), 7): points}
        assert effects[member_id] == want, member_id


@pytest.mark.parametrize("job", [SETTLE, REMINDERS], ids=["expiry", "reminders"])
def test_two_runners_on_the_same_night__each_member_once(shoppers, clock, job):
    brand, expected, _ = shoppers
    day = _setup_for(job, brand, clock)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: runner.run(brand, job, day, now=clock.now, page=2), [0, 1]))
    assert sum(record.counts.get(job.changed, 0) for record, _ in runs) == len(expected)
    effects = _effects(job, brand, list(expected))
    for member_id, points in expected.items():
        want = [-points] if job is SETTLE else {(LAST_DAY.isoformat(), 7): points}
        assert effects[member_id] == want


@pytest.mark.long
def test_lifecycle__dormant_then_churned__and_active_again_on_a_purchase(brand, clock):
    set_program(
        brand,
        lifecycle=Lifecycle(dormant_after_days=30, winback_cooldown_days=60, churned_after_days=90),
    )
    idle = enroll(brand)
    states = {}
    for day in range(1, 101):
        clock.now = datetime(2026, 3, 1, 4, tzinfo=UTC) + timedelta(days=day)
        night = nightly(brand, "dormancy", clock.now)
        if night["turned_dormant"] or night["churned"]:
            states[clock.now.date().isoformat()] = member(brand, idle).lifecycle_state
    assert states == {"2026-03-31": "dormant", "2026-05-30": "churned"}
    stored = brand.members.member(idle)
    assert (stored.dormant_since, stored.churned_since) == ("2026-03-31", "2026-05-30")
    buy(brand, idle, "back", 1_000)
    back = brand.members.member(idle)
    assert back.dormant_since is None and back.churned_since is None
    assert member(brand, idle).lifecycle_state == "active"


@pytest.mark.long
def test_the_scheduled_function_stops_before_its_time_and_invokes_itself_to_go_on(
    shoppers, clock, monkeypatch
):
    brand, expected, _ = shoppers
    clock.now = datetime(2026, 4, 2, 1, tzinfo=UTC)
    relaunched = []
    monkeypatch.setattr(schedules, "deps", lambda: brand)
    monkeypatch.setattr(schedules, "relaunch", lambda *args: relaunched.append(args))
    budget = iter([60.0] * 3 + [5.0] * 1000)  # three pages' worth, then out of time
    context = SimpleNamespace(
        get_remaining_time_in_millis=lambda: next(budget) * 1000,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:loyalty-demo-nightly",
    )
    first = schedules.nightly.func(SimpleNamespace(context=context, detail={}))
    assert first["continued"] is True and relaunched[0][2] == 1  # hop 1
    assert [run[2] for run in first["runs"]][-1] == "stopped"
    done = schedules.nightly.func(SimpleNamespace(context=None, detail={"hop": 1}))
    assert done["continued"] is False
    assert all(member(brand, m).points_balance == 0 for m in expected)


def test_the_store_failing_mid_night_fails_the_run_and_the_next_run_does_the_page_again(
    shoppers, clock, monkeypatch
):
    from chalicelib.domain.errors import Unavailable

    brand, expected, _ = shoppers
    real_lots = brand.due.lots
    calls = []

    def flaky(keys_):
        calls.append(1)
        if len(calls) == 2:  # the second page that has lots: throttled
            raise Unavailable("throttled")
        return real_lots(keys_)

    monkeypatch.setattr(brand.due, "lots", flaky)
    with pytest.raises(Unavailable):
        runner.run(brand, REMINDERS, REMIND_ON, now=clock.now, page=1)
    failed = next(r for r in brand.runs.newest_first() if r.job == "reminders")
    assert failed.status == "failed" and "throttled" in failed.errors[-1]
    again, _ = runner.run(brand, REMINDERS, REMIND_ON, now=clock.now, page=1)
    assert again.status == "finished"
    for member_id, points in expected.items():  # nothing lost, nothing twice
        assert reminders_of(member_id) == {(LAST_DAY.isoformat(), 7): points}
