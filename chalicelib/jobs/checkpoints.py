"""Which local days a nightly job has still to do: since its checkpoint, through today."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from ..services.deps import Deps


def days_to_run(
    deps: Deps, job: str, today: date, days_back: int | None, first_run_days: int
) -> Iterator[date]:
    """The days after the last one finished (or `first_run_days` back on a first run), through
    today; `days_back` re-reads that many days instead, whatever the checkpoint says."""
    if days_back is not None:
        start = today - timedelta(days=days_back)
    else:
        done = deps.jobs.checkpoint(job)
        start = done + timedelta(days=1) if done else today - timedelta(days=first_run_days)
    day = start
    while day <= today:
        yield day
        day += timedelta(days=1)
