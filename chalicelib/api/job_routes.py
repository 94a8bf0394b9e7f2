"""The nightly jobs through the admin API: run one (or all) now, read the run records."""

import datetime as dt
from collections import Counter
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..contract import RunOut, RunPage, RunQuery
from ..jobs import nightly
from ..jobs.runner import last_day
from ..jobs.runs import one_run, run_out, run_page
from ..services.deps import deps
from .http import Call, endpoint

MAX_DAYS = 366


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    dry_run: bool = Field(True, description="report what would happen; write nothing")
    days_back: int | None = Field(
        None, ge=0, le=366, description="re-read this many days; default: since the last run"
    )
    date: dt.date | None = Field(
        None,
        description="run this brand-local business date (again), whatever the checkpoint says",
    )
    until: dt.date | None = Field(None, description="with date: every date through this one")

    @model_validator(mode="after")
    def _dates(self) -> "JobRequest":
        if self.until is not None and self.date is None:
            raise ValueError("until needs date")
        if self.date is not None and self.days_back is not None:
            raise ValueError("give date or days_back, not both")
        if self.date and self.until and not 0 <= (self.until - self.date).days < MAX_DAYS:
            raise ValueError(f"until must be from date to {MAX_DAYS - 1} days after it")
        return self

    def days(self) -> list[dt.date] | None:
        if self.date is None:
            return None
        last = self.until or self.date
        return [self.date + timedelta(days=n) for n in range((last - self.date).days + 1)]


class JobOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    job: str
    as_of: date = Field(description="the last business date run")
    dry_run: bool
    candidates: int = Field(description="members looked at")
    changed: int = Field(description="members settled or reminded, coupons given, tiers lowered")
    totals: dict[str, int] = Field(description="every count of every run, summed")
    changes: list[dict[str, str | None]] = Field(description="coupons given, tiers changed")
    runs: list[RunOut] = Field(description="the run records, one per job and business date")
    not_run: list[dict[str, str]] = Field(
        default_factory=list,
        description="dates asked for that a job did not run, and why (not begun or not over)",
    )


@endpoint(
    "/v1/admin/jobs/{job}",
    "POST",
    summary="Run a nightly job now (expiry, vesting, reminders, dormancy, birthdays, tier-review, "
    "rfm, reconcile or all); dry_run, the default, reports what would change and writes nothing",
    scope="admin",
    body=JobRequest,
    response=JobOut,
    errors=(404,),
)
def run_job(call: Call, job: str) -> JobOut:
    d = deps()
    jobs, body, now = nightly.jobs_named(job), call.body, d.clock()
    results = nightly.run_jobs(
        d, jobs, now=now, days=body.days(), days_back=body.days_back, dry_run=body.dry_run
    )
    not_run = []
    ran = {(record.job, record.business_date) for record, _ in results}
    stopped = any(record.status != "finished" for record, _ in results)
    for j in jobs:
        last = last_day(j, d.programs.require(), now)
        for day in body.days() or []:
            if (j.name, day) not in ran and not stopped:
                why = "not begun yet" if day > last and j.when == "on" else "not over yet"
                not_run.append({"job": j.name, "business_date": day.isoformat(), "reason": why})
    totals: Counter[str] = Counter()
    changed = 0
    for record, _ in results:
        totals.update(record.counts)
        changed += record.counts.get(nightly.JOBS[record.job].changed, 0)
    return JobOut(
        job=job,
        as_of=max((r.business_date for r, _ in results), default=now.date()),
        dry_run=body.dry_run,
        candidates=totals["members"],
        changed=changed,
        totals=dict(sorted(totals.items())),
        changes=[c for _, night in results for c in night.changes][:1000],
        runs=[run_out(record) for record, _ in results],
        not_run=not_run,
    )


@endpoint(
    "/v1/admin/jobs",
    "GET",
    summary="The nightly runs, newest first: date, status, pages, counts, errors",
    scope="admin",
    query=RunQuery,
    response=RunPage,
)
def list_runs(call: Call) -> RunPage:
    return run_page(deps(), call.query)


@endpoint(
    "/v1/admin/jobs/{job}/runs/{run_id}",
    "GET",
    summary="One run record of a job",
    scope="admin",
    response=RunOut,
    errors=(404,),
)
def get_run(call: Call, job: str, run_id: str) -> RunOut:
    return one_run(deps(), job, run_id)
