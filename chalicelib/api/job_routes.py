"""The nightly jobs through the admin API: run one (or all) now, read the run records."""

from collections import Counter

from ..contract.runs import JobOut, JobRequest, RunOut, RunPage, RunQuery, run_out, run_page_out
from ..jobs import nightly
from ..jobs.runner import last_day
from ..jobs.runs import one_run, run_page
from ..services.deps import deps
from .http import Call, endpoint


@endpoint(
    "/v1/admin/jobs/{job}",
    "POST",
    operation="runJob",
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
    operation="listJobRuns",
    summary="The nightly runs, newest first: date, status, pages, counts, errors",
    scope="admin",
    query=RunQuery,
    response=RunPage,
)
def list_runs(call: Call) -> RunPage:
    return run_page_out(run_page(deps(), call.query))


@endpoint(
    "/v1/admin/jobs/{job}/runs/{run_id}",
    "GET",
    operation="getJobRun",
    summary="One run record of a job",
    scope="admin",
    response=RunOut,
    errors=(404,),
)
def get_run(call: Call, job: str, run_id: str) -> RunOut:
    return run_out(one_run(deps(), job, run_id))
