"""The scheduled function: a thin wrapper that gives the nightly jobs the clock and the store.

Hourly, so each brand's local midnight is met whatever its time zone; an hour with nothing to do
reads nothing (every job's checkpoint is at today). Out of time, the run stops cleanly and the
function invokes itself again at once (asynchronously, with a hop count) to go on where it
stopped, rather than waiting for the next hour; the checkpoints make that safe either way."""

from __future__ import annotations

import json
import logging
from typing import Any

from chalice import Blueprint, Rate

from .. import observe
from ..services.deps import Deps, deps
from ..store.functions import invoke_async
from .nightly import JOBS, run_jobs
from .runner import MARGIN_SECONDS

jobs = Blueprint(__name__)
log = logging.getLogger("loyalty.jobs")
MAX_HOPS = 24  # a night that still is not done after this many goes on at the next hour


def relaunch(function_arn: str, region: str, hop: int, at: str) -> None:
    """Invoke this function again, asynchronously, as the next hop of the same night (shaped
    as a scheduled event, which is what Chalice hands the function)."""
    event = {
        "version": "0",
        "id": f"loyalty-continue-{hop}",
        "detail-type": "loyalty.jobs.continue",
        "source": "loyalty.jobs",
        "account": function_arn.split(":")[4],
        "time": at,
        "region": region,
        "resources": [function_arn],
        "detail": {"hop": hop},
    }
    invoke_async(function_arn, region, event)


@jobs.schedule(Rate(1, unit=Rate.HOURS), name="nightly")
def nightly(event: Any) -> dict[str, Any]:
    d = deps()
    with observe.invocation(d.settings.brand, getattr(event, "context", None)):
        return _night(d, event)


def _night(d: Deps, event: Any) -> dict[str, Any]:
    if d.programs.current() is None:
        return {"runs": []}
    context = getattr(event, "context", None)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    detail = getattr(event, "detail", None) or {}
    hop = int(detail.get("hop", 0)) if isinstance(detail, dict) else 0

    # The runner stops MARGIN_SECONDS before the end; a function given less than four times
    # that (a test's) keeps a quarter of its time instead.
    budget = float("inf") if remaining is None else remaining() / 1000
    slack = MARGIN_SECONDS - min(MARGIN_SECONDS, budget / 4)

    def time_left() -> float:
        return float("inf") if remaining is None else remaining() / 1000 + slack

    results, failed = [], []
    for job in JOBS.values():  # one job's failure does not keep the others from their night
        try:
            results += run_jobs(
                d,
                [job],
                now=d.clock(),
                time_left=time_left,
                on_page=lambda *_: observe.count(observe.JOB_PAGES),
            )
        except Exception:
            log.exception("nightly job %s failed; the next run goes on from there", job.name)
            failed.append(job.name)
            observe.count(observe.JOB_RUNS_FAILED)
        if results and results[-1][0].status == "stopped":
            break
    for record, _ in results:
        if record.counts.get("errors"):  # some members could not be done: see the run record
            observe.count(observe.JOB_RUNS_FAILED)
        log.info(
            "%s %s: %s, %d pages, %s",
            record.job,
            record.business_date,
            record.status,
            record.pages,
            json.dumps(record.counts),
        )
    stopped = any(record.status == "stopped" for record, _ in results)
    arn = getattr(context, "invoked_function_arn", "")
    if stopped and arn and hop < MAX_HOPS:
        relaunch(arn, d.settings.region, hop + 1, d.clock().isoformat())
    if failed:
        raise RuntimeError(f"nightly jobs failed: {', '.join(failed)} (see the log)")
    return {
        "runs": [[r.job, r.business_date.isoformat(), r.status, r.counts] for r, _ in results],
        "continued": bool(stopped and arn and hop < MAX_HOPS),
    }
