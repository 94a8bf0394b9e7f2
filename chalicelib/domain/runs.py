"""A nightly job's run record: one job, one brand-local business date."""

from __future__ import annotations

from datetime import date, datetime

from msgspec import Struct


class Run(Struct):
    run_id: str
    job: str
    business_date: date
    dry_run: bool
    status: str
    pages: int
    counts: dict[str, int]
    errors: list[str]
    started_at: datetime
    finished_at: datetime | None


class Runs(Struct, frozen=True):
    """A page of run records, newest first."""

    runs: list[Run]
    next_cursor: str | None
