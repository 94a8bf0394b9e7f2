"""One runner for the nightly work: a job does one brand-local business date, shard by shard,
one index page at a time, and writes the shard's progress after every page. Out of time, it
stops cleanly (`stopped`) and the next run goes on after the last page it finished; a finished
shard is not read again. Every run leaves a record (`store.runs`): started, finished, the date,
pages, counts and errors. A dry run reads the same pages, writes nothing (no progress either)
and counts what it would do."""

import logging
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

from msgspec import Struct

from ..domain.program import Program
from ..services.deps import Deps
from ..store.keys import DUE_SHARDS
from ..store.runs import Run

log = logging.getLogger("loyalty.jobs")
PAGE = 100
MARGIN_SECONDS = 20.0  # stop when less than this is left of the Lambda's time


class Job(Struct, frozen=True):
    """A nightly job: which index partition holds a date's shard, and what to do per member
    (idempotent per (job, date, member): it may see the same member again after a stop)."""

    name: str
    partition: Callable[[date, int], str]
    handle: Callable[[Deps, Program, str, date, bool, Counter[str]], None]


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
    on_shard: Callable[[int], None] | None = None,
) -> Run:
    """Run `job` for the brand-local `day`; `stop_after_pages` stops it as if out of time."""
    program = deps.programs.require()
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
    counts: Counter[str] = Counter()
    for shard in range(DUE_SHARDS):
        progress = deps.runs.progress(job.name, day, shard)
        if progress.done and not dry_run:
            continue
        after = None if dry_run else progress.after
        while True:
            out_of_pages = stop_after_pages is not None and record.pages >= stop_after_pages
            if out_of_pages or time_left() < MARGIN_SECONDS:
                return _finish(deps, record, counts, "stopped", now)
            member_ids, after = deps.due.page(job.partition(day, shard), after, page)
            for member_id in member_ids:
                try:
                    job.handle(deps, program, member_id, day, dry_run, counts)
                except Exception as exc:  # one member's trouble is recorded, the night goes on
                    counts["errors"] += 1
                    record.errors.append(f"{member_id}: {type(exc).__name__}: {exc}")
                    log.exception("%s %s: member %s failed", job.name, day, member_id)
            record.pages += 1
            if not dry_run:
                deps.runs.advance(job.name, day, shard, after, after is None, now)
            if after is None:
                break
        if on_shard is not None:
            on_shard(shard)
    return _finish(deps, record, counts, "finished", now)


def _finish(deps: Deps, record: Run, counts: Counter[str], status: str, now: datetime) -> Run:
    record.status = status
    record.counts = dict(sorted(counts.items()))
    record.finished_at = now
    deps.runs.save(record)
    return record
