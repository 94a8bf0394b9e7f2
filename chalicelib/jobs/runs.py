"""The run records of the nightly jobs, as the admin reads them."""

import base64

from msgspec.structs import asdict

from ..contract import RunOut, RunPage, RunQuery
from ..domain.errors import ValidationFailed
from ..services.deps import Deps
from ..store.runs import Run


def run_out(run: Run) -> RunOut:
    return RunOut.model_validate(asdict(run))


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
