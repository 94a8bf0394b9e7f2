"""The expiry and vesting job for members nobody touches: the night's due members only, as of
the end of the brand-local day, never twice, resumable after any page."""

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.program import RollingExpiry
from chalicelib.jobs import runner
from chalicelib.jobs.settle import SETTLE
from chalicelib.store.ledger import LedgerStore
from tests.conftest import set_program
from tests.helpers import buy, enroll


def run(*args, **kwargs):
    record, _ = runner.run(*args, **kwargs)
    return record


def balance_items(brand, member_id):
    """The member item as stored (not as a read would settle it)."""
    return brand.members.member(member_id).balances


@pytest.fixture
def expiring(brand, clock):
    set_program(brand, expiry=RollingExpiry(months=1))
    return brand


def test_points_of_members_nobody_touches_expire_on_their_day_once(expiring, clock):
    brand = expiring
    members = [enroll(brand, phone=f"1380013{n:04d}") for n in range(5)]
    for n, member_id in enumerate(members):
        buy(brand, member_id, f"o-{n}", 10_000 + n * 100)
    earned = {m: balance_items(brand, m).balance for m in members}
    due_day = date(2026, 4, 1)  # bought 1 March, noon in Shanghai: the lots end with 1 April
    clock.now = datetime(2026, 4, 2, 1, tzinfo=UTC)  # 09:00 on 2 April in Shanghai
    before = run(brand, SETTLE, due_day - timedelta(days=1), now=clock.now)
    assert before.counts == {} and before.status == "finished"
    record = run(brand, SETTLE, due_day, now=clock.now)
    assert record.status == "finished" and record.pages == 16
    assert record.counts["members_settled"] == 5
    assert record.counts["expired_points"] == sum(earned.values())
    for member_id in members:  # written, not only shown: the stored item says 0
        assert balance_items(brand, member_id).balance == 0
        rows = LedgerStore().all(member_id)[::-1]
        assert rows[0].kind == "expire" and rows[0].points == -earned[member_id]
    again = run(brand, SETTLE, due_day, now=clock.now)  # finished shards: not read again
    assert again.pages == 0 and again.counts == {}


@pytest.mark.long
def test_a_stopped_run_resumes_after_its_last_page_and_settles_each_member_once(expiring, clock):
    brand = expiring
    members = [enroll(brand, phone=f"1390013{n:04d}") for n in range(12)]
    for n, member_id in enumerate(members):
        buy(brand, member_id, f"o-{n}", 10_000)
    clock.now = datetime(2026, 4, 2, 1, tzinfo=UTC)
    due_day = date(2026, 4, 1)
    settled = 0
    pages = 0
    for k in (0, 1, 3, 2, 100):  # stop after k pages, again and again, then let it finish
        record = run(brand, SETTLE, due_day, now=clock.now, page=1, stop_after_pages=k)
        settled += record.counts.get("members_settled", 0)
        pages += record.pages
        assert record.counts.get("changed_meanwhile", 0) == 0
    assert record.status == "finished" and settled == 12
    assert all(balance_items(brand, m).balance == 0 for m in members)


def test_a_dry_run_counts_what_the_night_would_do_and_writes_nothing(expiring, clock):
    brand = expiring
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 10_000)
    clock.now = datetime(2026, 4, 2, 1, tzinfo=UTC)
    dry = run(brand, SETTLE, date(2026, 4, 1), now=clock.now, dry_run=True)
    assert dry.counts == {
        "events.points.expired": 1,
        "expired_points": 100,
        "members": 1,
        "members_settled": 1,
    }
    assert balance_items(brand, member_id).balance == 100
    real = run(brand, SETTLE, date(2026, 4, 1), now=clock.now)
    assert real.counts == dry.counts


def test_a_member_who_came_back_before_the_job_is_settled_by_its_own_write_not_twice(
    expiring, clock
):
    brand = expiring
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 10_000)
    clock.now = datetime(2026, 4, 2, 1, tzinfo=UTC)
    buy(brand, member_id, "o-2", 5_000)  # its write settles the expired lot on the way
    rows = [r.kind for r in LedgerStore().all(member_id)]
    assert rows.count("expire") == 1
    record = run(brand, SETTLE, date(2026, 4, 1), now=clock.now)
    assert record.counts.get("members_settled", 0) == 0
    assert [r.kind for r in LedgerStore().all(member_id)].count("expire") == 1
    assert balance_items(brand, member_id).balance == 50


def test_two_runners_on_the_same_night_settle_each_member_once(expiring, clock):
    from concurrent.futures import ThreadPoolExecutor

    brand = expiring
    members = [enroll(brand, phone=f"1370013{n:04d}") for n in range(8)]
    for n, member_id in enumerate(members):
        buy(brand, member_id, f"o-{n}", 10_000)
    clock.now = datetime(2026, 4, 2, 1, tzinfo=UTC)
    with ThreadPoolExecutor(2) as pool:
        records = list(
            pool.map(lambda _: run(brand, SETTLE, date(2026, 4, 1), now=clock.now), [0, 1])
        )
    assert sum(r.counts.get("members_settled", 0) for r in records) == 8
    for member_id in members:
        kinds = [row.kind for row in LedgerStore().all(member_id)]
        assert kinds.count("expire") == 1 and balance_items(brand, member_id).balance == 0


def test_the_cli_runs_past_dates_dry_or_for_real_and_lists_the_runs(expiring, clock, monkeypatch):
    """`loyalty jobs run expiry --date … [--until …] [--dry-run]` and `loyalty jobs list`,
    against the same table (the test's deps stand in for what `build` makes from the env)."""
    from typer.testing import CliRunner

    from chalicelib.services import deps as composition
    from loyalty_tools import cli

    brand = expiring
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 10_000)
    clock.now = datetime(2026, 4, 3, 1, tzinfo=UTC)
    monkeypatch.setattr(composition, "build", lambda **kwargs: brand)
    runner_ = CliRunner()
    dry = runner_.invoke(cli.app, ["jobs", "run", "expiry", "--date", "2026-04-01", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "expiry 2026-04-01 finished (dry run): 16 pages, " in dry.output
    assert '"expired_points": 100' in dry.output
    assert balance_items(brand, member_id).balance == 100
    real = runner_.invoke(
        cli.app, ["jobs", "run", "expiry", "--date", "2026-03-31", "--until", "2026-04-05"]
    )
    assert real.exit_code == 0, real.output
    assert "expiry 2026-04-01 finished: 16 pages" in real.output
    assert "expiry: 2026-04-03… not run: not over yet" in real.output
    assert balance_items(brand, member_id).balance == 0
    listed = runner_.invoke(cli.app, ["jobs", "list", "--job", "expiry", "--limit", "5"])
    assert listed.exit_code == 0 and listed.output.count(" expiry 2026-") == 4
    assert listed.output.count("(dry run)") == 1
    bad = runner_.invoke(cli.app, ["jobs", "run", "expiry", "--date", "April 1st"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
