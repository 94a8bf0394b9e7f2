"""Risk signals (风控) as the merchant reads them."""

from datetime import date, datetime

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from ..domain.bounds import Day
from .common import Response


class RiskQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True, populate_by_name=True)

    day_from: Day | None = Field(
        None, alias="from", description="brand-local day; default 6 days before `to`"
    )
    day_to: Day | None = Field(None, alias="to", description="brand-local day; default today")


class RiskSignalOut(Response):
    signal: str = Field(
        description="which count reached its threshold, e.g. redemptions_per_member"
    )
    subject: str = Field(description="a member id, device:<fingerprint prefix> or ip:<range>")
    threshold: int
    member_id: str = Field(description="the member whose write reached it")
    at: datetime


class RiskDayOut(Response):
    day: date
    counts: dict[str, int] = Field(description="signals reached that day, by kind")
    signals: list[RiskSignalOut]


class RiskSignalsOut(Response):
    first_day: date
    last_day: date
    thresholds: dict[str, int | None] = Field(description="the program's risk section")
    total: int
    days: list[RiskDayOut] = Field(description="newest first, every day of the range")
