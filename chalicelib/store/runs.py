"""Nightly runs: a record per run, and each (job, business date, shard)'s progress, so a run
stopped anywhere resumes after the last page it finished and a finished shard is not redone."""

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from msgspec import Struct
from pynamodb.exceptions import PutError

from ..domain.runs import Run
from .models import RunItem, ShardProgressItem
from .unit_of_work import dynamodb, get_or_none

RUNS_PK = "RUNS"
# A date's progress matters while the date may still be run (the checkpoint says which are
# done); the run records are kept for a year and a bit, for the audit of last year's nights.
PROGRESS_KEPT_DAYS = 35
RUNS_KEPT_DAYS = 400


def _gone_after(moment: datetime, days: int) -> int:
    """The TTL attribute: epoch seconds (DynamoDB removes the item some time after)."""
    return int((moment + timedelta(days=days)).timestamp())


class Progress(Struct, frozen=True):
    after: str | None
    done: bool


def _pk(job: str, day: date) -> str:
    return f"JOB#{job}#{day.isoformat()}"


def _run(item: RunItem) -> Run:
    return Run(
        run_id=item.run_id,
        job=item.job,
        business_date=date.fromisoformat(item.business_date),
        dry_run=bool(item.dry_run),
        status=item.status,
        pages=int(item.pages or 0),
        counts=json.loads(item.counts or "{}"),
        errors=list(item.errors or []),
        started_at=item.started_at,
        finished_at=item.finished_at,
    )


class RunStore:
    def progress(self, job: str, day: date, shard: int) -> Progress:
        item = get_or_none(ShardProgressItem, _pk(job, day), f"{shard:02d}")
        return Progress(None, False) if item is None else Progress(item.after, bool(item.done))

    def advance(
        self, job: str, day: date, shard: int, after: str | None, done: bool, now: datetime
    ) -> None:
        item = ShardProgressItem(
            pk=_pk(job, day),
            sk=f"{shard:02d}",
            after=after,
            done=done,
            updated_at=now,
            ttl=_gone_after(now, PROGRESS_KEPT_DAYS),
        )
        with dynamodb():
            try:  # never back from done
                item.save(
                    condition=ShardProgressItem.pk.does_not_exist()
                    | (ShardProgressItem.done == False)  # noqa: E712
                )
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise

    def save(self, run: Run) -> None:
        item = RunItem(
            pk=RUNS_PK,
            sk=run.run_id,  # a ULID from the run's clock: newest last
            run_id=run.run_id,
            job=run.job,
            business_date=run.business_date.isoformat(),
            dry_run=run.dry_run,
            status=run.status,
            pages=run.pages,
            counts=json.dumps(run.counts, sort_keys=True),
            errors=run.errors[-20:],
            started_at=run.started_at,
            finished_at=run.finished_at,
            ttl=_gone_after(run.started_at, RUNS_KEPT_DAYS),
        )
        with dynamodb():
            item.save()

    def get(self, run_id: str) -> Run | None:
        item = get_or_none(RunItem, RUNS_PK, run_id)
        return None if item is None else _run(item)

    def newest_first(self, before: str | None = None) -> Iterator[Run]:
        """Every run, newest first; after `before` (a run id) if given."""
        condition = RunItem.sk < before if before else None
        with dynamodb():
            for item in RunItem.query(RUNS_PK, condition, scan_index_forward=False):
                yield _run(item)
