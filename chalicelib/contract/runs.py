"""The nightly jobs' run records."""

import datetime as dt
from datetime import date, datetime, timedelta
from typing import Literal

from msgspec.structs import asdict
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from ..domain.runs import Run, Runs
from .common import Response


class RunOut(Response):
    run_id: str
    job: str
    business_date: date = Field(description="the brand-local day the run did")
    dry_run: bool
    status: Literal["running", "finished", "stopped", "failed"] = Field(
        description="stopped: time ran out, and failed: the store failed (see errors); the "
        "next run goes on after the last page done"
    )
    pages: int
    counts: dict[str, int]
    errors: list[str]
    started_at: datetime
    finished_at: datetime | None


class RunPage(Response):
    runs: list[RunOut]
    next_cursor: str | None


class RunQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    job: str | None = Field(None, max_length=32)
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=128)


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


def run_out(run: Run) -> RunOut:
    return RunOut.model_validate(asdict(run))


def run_page_out(found: Runs) -> RunPage:
    return RunPage(runs=[run_out(r) for r in found.runs], next_cursor=found.next_cursor)
