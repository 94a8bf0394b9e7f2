"""Checkpoints of the nightly jobs, so a run resumes where the last one finished."""

from __future__ import annotations

from datetime import date, datetime

from pynamodb.exceptions import PutError

from .models import CheckpointItem
from .unit_of_work import dynamodb, get_or_none


class JobStore:
    def checkpoint(self, job: str) -> date | None:
        item = get_or_none(CheckpointItem, f"JOB#{job}", "CHECKPOINT")
        if item is None:
            return None
        return date.fromisoformat(item.through_day)

    def advance(self, job: str, day: date, now: datetime) -> None:
        """Move the checkpoint forward only (a slow run never moves it back)."""
        item = CheckpointItem(
            pk=f"JOB#{job}", sk="CHECKPOINT", through_day=day.isoformat(), updated_at=now
        )
        with dynamodb():
            try:
                item.save(
                    condition=CheckpointItem.pk.does_not_exist()
                    | (CheckpointItem.through_day < day.isoformat())
                )
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
