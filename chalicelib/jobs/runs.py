"""The run records of the nightly jobs, as the admin reads them."""

import base64

from ..contract import RunOut, RunPage, RunQuery
from ..domain.errors import ValidationFailed
from ..services.deps import Deps
from ..store.runs import Run


def run_out(run: Run) -> RunOut:
    return RunOut(
        run_id=run.run_id,
        job=run.job,
        business_date=run.business_date,
        dry_run=run.dry_run,
        status=run.status,
        pages=run.pages,
        counts=run.counts,
        errors=run.errors,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def _cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _key(cursor: str) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        key = ""
    if "#" not in key:
        raise ValidationFailed("cursor is not one this API returned", param="cursor")
    return key


def run_page(deps: Deps, query: RunQuery) -> RunPage:
    before = _key(query.cursor) if query.cursor is not None else None
    found: list[RunOut] = []
    last_key = None
    more = False
    for key, run in deps.runs.newest_first(before):
        if query.job and run.job != query.job:
            continue
        if len(found) == query.limit:
            more = True
            break
        found.append(run_out(run))
        last_key = key
    return RunPage(runs=found, next_cursor=_cursor(last_key) if more and last_key else None)
