"""One runner for the nightly work: a job does one brand-local business date, partition by
partition of its sparse index, one page at a time, and writes that partition's progress after
every page. Out of time, it stops cleanly (`stopped`) and the next run goes on after the last
page it finished; a finished partition is not read again. Every run leaves a record
(`store.runs`): started, finished, the date, pages, counts and errors. A dry run reads the
same pages, writes nothing (no progress either) and counts what it would do.

What a job does per member is idempotent per (job, date, member): a member may be seen again
after a stop between its write and the page's progress, and must then change nothing more."""

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Literal, TypeVar

from msgspec import Struct, field

from ..domain.errors import MemberMerged, Unavailable
from ..domain.program import Program
from ..services.deps import Deps
from ..store.due import Page
from ..store.runs import Run
from .checkpoints import days_to_run

log = logging.getLogger("loyalty.jobs")
PAGE = 100
MARGIN_SECONDS = 20.0  # stop when less than this is left of the Lambda's time
MAX_ERRORS_KEPT = 20
T = TypeVar("T")


class Night(Struct):
    """What a job's page handler is given: the date, the clock, and where to count."""

    deps: Deps
    job: str
    program: Program
    day: date
    now: datetime
    dry_run: bool
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    changes: list[dict[str, str | None]] = field(default_factory=list)  # for the reports
    cache: dict[str, object] = field(default_factory=dict)  # e.g. templates, once per run

    def each(self, things: Iterable[T], key: Callable[[T], str], do: Callable[[T], None]) -> None:
        """`do` for each; one member's trouble is counted and recorded, the night goes on. The
        store being unavailable (throttled, down) is not the member's: it stops the run before
        the page's progress is written, so the next run does the page again."""
        for thing in things:
            try:
                do(thing)
            except Unavailable:
                raise
            except MemberMerged as merged:  # read from an index just before its merge
                self.skip(key(thing), f"merged into {merged.merged_into}", "merged")
            except Exception as exc:
                self.counts["errors"] += 1
                self.errors.append(f"{key(thing)}: {type(exc).__name__}: {exc}")
                log.exception("%s: %s failed", self.day, key(thing))

    def skip(self, member_id: str, reason: str, count: str) -> None:
        """A member left alone tonight, counted, with the reason in the log."""
        self.counts[f"skipped.{count}"] += 1
        log.info("%s %s: member %s skipped: %s", self.job, self.day, member_id, reason)

    def event(self, kind: str) -> None:
        """An event this night's writes make (the stream sends it), counted for dry runs too."""
        self.counts[f"events.{kind}"] += 1


class Job(Struct, frozen=True):
    """A nightly job: the index partitions that hold a date's work, and what to do per page.

    `when`: `on` jobs do a date on that day (from its local midnight: birthdays, reminders),
    `after` jobs once it is over (expiry settles up to the end of the day)."""

    name: str
    when: Literal["on", "after"]
    partitions: Callable[[Program, date], list[str]]
    handle: Callable[[Night, str, Page], None]  # (night, partition, page of table keys)
    changed: str  # the count of members the job changed (or, dry, would change)
    first_run_days: int = 3  # how far back a first run starts
    # A job of one bounded step instead (the RFM sample): done whole, again if stopped
    whole: Callable[[Night], None] | None = None


def no_partitions(program: Program, day: date) -> list[str]:
    """For a job done whole (`Job.whole`)."""
    return []


def no_pages(night: Night, partition: str, page: Page) -> None:
    raise AssertionError("a job done whole has no pages")


def run(
    deps: Deps,
    job: Job,
    day: date,
    *,
    now: datetime,
    dry_run: bool = False,
    time_left: Callable[[], float] = lambda: float("inf"),
    page: int = PAGE,
    stop_after_pages: int | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> tuple[Run, Night]:
    """Run `job` for the brand-local `day`; `stop_after_pages` stops it as if out of time.
    `on_page(partitions done, partitions)` is told after every page (a progress bar)."""
    program = deps.programs.require()
    night = Night(deps, job.name, program, day, now, dry_run)
    record = Run(
        run_id=deps.new_id(now),
        job=job.name,
        business_date=day,
        dry_run=dry_run,
        status="running",
        pages=0,
        counts={},
        errors=[],
        started_at=now,
        finished_at=None,
    )
    deps.runs.save(record)
    partitions = job.partitions(program, day)
    try:
        if job.whole is not None:
            job.whole(night)
            record.pages = 1
            if on_page is not None:
                on_page(1, 1)
        for slot, partition in enumerate(partitions):
            progress = deps.runs.progress(job.name, day, slot)
            if progress.done and not dry_run:
                continue
            after = None if dry_run else progress.after
            while True:
                out_of_pages = stop_after_pages is not None and record.pages >= stop_after_pages
                if out_of_pages or time_left() < MARGIN_SECONDS:
                    return _finish(deps, record, night, "stopped"), night
                found, after = deps.due.page(partition, after, page)
                job.handle(night, partition, found)
                record.pages += 1
                if not dry_run:
                    deps.runs.advance(job.name, day, slot, after, after is None, now)
                if on_page is not None:
                    on_page(slot + (after is None), len(partitions))
                if after is None:
                    break
    except Exception as exc:  # the store failed: recorded, and the next run goes on from here
        night.errors.append(f"{type(exc).__name__}: {exc}")
        _finish(deps, record, night, "failed")
        raise
    return _finish(deps, record, night, "finished"), night


def _finish(deps: Deps, record: Run, night: Night, status: str) -> Run:
    record.status = status
    record.counts = dict(sorted(night.counts.items()))
    record.errors = night.errors[-MAX_ERRORS_KEPT:]
    record.finished_at = night.now
    deps.runs.save(record)
    return record


def last_day(job: Job, program: Program, now: datetime) -> date:
    """The last business date the job can do at `now`."""
    today = now.astimezone(program.zone).date()
    return today if job.when == "on" else today - timedelta(days=1)


def run_nights(
    deps: Deps,
    job: Job,
    *,
    now: datetime,
    days_back: int | None = None,
    dry_run: bool = False,
    time_left: Callable[[], float] = lambda: float("inf"),
    days: list[date] | None = None,
    on_page: Callable[[date, int, int], None] | None = None,
) -> list[tuple[Run, Night]]:
    """Every business date the job has not finished yet (a missed night is caught up), or the
    `days` asked for, each to its end unless time runs out (the next run goes on where this
    one stopped). A date not begun (`on`) or not over (`after`) yet is not run."""
    program = deps.programs.require()
    last = last_day(job, program, now)
    wanted = (
        days
        if days is not None
        else days_to_run(deps, job.name, last, days_back, job.first_run_days)
    )
    done = []
    for day in wanted:
        if day > last:
            break
        progress = (lambda a, b, d=day: on_page(d, a, b)) if on_page else None
        record, night = run(
            deps, job, day, now=now, dry_run=dry_run, time_left=time_left, on_page=progress
        )
        done.append((record, night))
        if record.status != "finished":
            break
        if not dry_run and days is None:  # dates asked for by hand leave the schedule's
            deps.jobs.advance(job.name, day, now)  # checkpoint alone (their partitions are done)
    return done
