"""The run records of the nightly jobs, as the admin reads them."""

import re
from typing import Protocol

from ..contract.runs import RunQuery
from ..domain.errors import NotFound, ValidationFailed
from ..domain.runs import Run, Runs
from ..store.runs import RunStore
from .nightly import ALIASES

RUN_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")  # a ULID


class Needs(Protocol):
    runs: RunStore


def run_page(d: Needs, query: RunQuery) -> Runs:
    """Newest first; the cursor is the last run id of the page before."""
    if query.cursor is not None and not RUN_ID.match(query.cursor):
        raise ValidationFailed("cursor is not one this API returned", param="cursor")
    job = ALIASES.get(query.job, query.job) if query.job else None
    found: list[Run] = []
    more = False
    for run in d.runs.newest_first(query.cursor):
        if job and run.job != job:
            continue
        if len(found) == query.limit:
            more = True
            break
        found.append(run)
    return Runs(found, found[-1].run_id if more else None)


def one_run(d: Needs, job: str, run_id: str) -> Run:
    run = d.runs.get(run_id) if RUN_ID.match(run_id) else None
    if run is None or run.job != ALIASES.get(job, job):
        raise NotFound(f"no run {run_id} of job {job}", param="run_id")
    return run
