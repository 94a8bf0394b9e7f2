"""The run records of the nightly jobs, as the admin reads them."""

import re

from msgspec.structs import asdict

from ..contract.runs import RunOut, RunPage, RunQuery
from ..domain.errors import NotFound, ValidationFailed
from ..services.deps import Deps
from ..store.runs import Run
from .nightly import ALIASES

RUN_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")  # a ULID


def run_out(run: Run) -> RunOut:
    return RunOut.model_validate(asdict(run))


def run_page(deps: Deps, query: RunQuery) -> RunPage:
    """Newest first; the cursor is the last run id of the page before."""
    if query.cursor is not None and not RUN_ID.match(query.cursor):
        raise ValidationFailed("cursor is not one this API returned", param="cursor")
    job = ALIASES.get(query.job, query.job) if query.job else None
    found: list[RunOut] = []
    more = False
    for run in deps.runs.newest_first(query.cursor):
        if job and run.job != job:
            continue
        if len(found) == query.limit:
            more = True
            break
        found.append(run_out(run))
    return RunPage(runs=found, next_cursor=found[-1].run_id if more else None)


def one_run(deps: Deps, job: str, run_id: str) -> RunOut:
    run = deps.runs.get(run_id) if RUN_ID.match(run_id) else None
    if run is None or run.job != ALIASES.get(job, job):
        raise NotFound(f"no run {run_id} of job {job}", param="run_id")
    return run_out(run)
