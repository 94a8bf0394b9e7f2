"""Business events as the API serves them (the envelope published and pulled alike)."""

from datetime import date, datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from .common import Response


class EventOut(Response):
    """The envelope of every event, published and pulled alike (the Standard Webhooks payload
    convention): `data` holds ids, amounts, local dates and masked contact data only."""

    id: str = Field(description="derived from the event's cause: the same on every redelivery")
    type: str
    timestamp: datetime = Field(description="when the fact happened, UTC")
    brand: str
    member_id: str | None
    data: dict[str, Any]


class EventPage(Response):
    events: list[EventOut]
    next_cursor: str | None


class EventQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    type: str | None = Field(None, max_length=64)
    member_id: str | None = Field(None, max_length=64)
    created_from: date | None = Field(None, description="UTC day, default 30 days back")
    created_to: date | None = Field(None, description="UTC day, default today")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=128)
