"""The nightly jobs by name, and running several of them in their order: expiry first (what
expired yesterday is gone before anyone is reminded or reviewed), then reminders, the
lifecycle, birthdays, the tier review, the RFM sample and the day's standing figures; the books
are checked last."""

from collections.abc import Callable
from datetime import date, datetime

from ..domain.errors import NotFound
from ..services.deps import Deps
from ..store.runs import Run
from .books import RECONCILE
from .figures import FIGURES
from .lifecycle import BIRTHDAYS, DORMANCY
from .reminders import REMINDERS
from .rfm import RFM
from .runner import Job, Night, run_nights
from .settle import SETTLE
from .tier_review import TIER_REVIEW

JOBS: dict[str, Job] = {
    job.name: job
    for job in (SETTLE, REMINDERS, DORMANCY, BIRTHDAYS, TIER_REVIEW, RFM, FIGURES, RECONCILE)
}
# Other names the same jobs answer to: one write settles expiry and vesting together; the
# names before the runner.
ALIASES = {"vesting": "expiry", "winback": "dormancy", "birthday-perks": "birthdays"}
NAMES = (*JOBS, "vesting", "all")


def jobs_named(name: str) -> list[Job]:
    if name == "all":
        return list(JOBS.values())
    job = JOBS.get(ALIASES.get(name, name))
    if job is None:
        raise NotFound(f"no job {name!r}: one of {', '.join(NAMES)}", param="job")
    return [job]


def run_jobs(
    deps: Deps,
    jobs: list[Job],
    *,
    now: datetime,
    days: list[date] | None = None,
    days_back: int | None = None,
    dry_run: bool = False,
    time_left: Callable[[], float] = lambda: float("inf"),
    on_page: Callable[[Job, date, int, int], None] | None = None,
) -> list[tuple[Run, Night]]:
    """Each job in turn over its dates; a job out of time stops the rest (the next run goes on)."""
    done: list[tuple[Run, Night]] = []
    for job in jobs:
        progress = (lambda d, a, b, j=job: on_page(j, d, a, b)) if on_page else None
        runs = run_nights(
            deps,
            job,
            now=now,
            days=days,
            days_back=days_back,
            dry_run=dry_run,
            time_left=time_left,
            on_page=progress,
        )
        done += runs
        if any(record.status == "stopped" for record, _ in runs):
            break
    return done
