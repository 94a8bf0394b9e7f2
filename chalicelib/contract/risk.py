"""Risk signals (风控) as the merchant reads them."""

from collections import Counter
from datetime import date, datetime

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from ..domain.bounds import Day
from ..domain.outcomes import RiskDays
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


def risk_signals_out(found: RiskDays) -> RiskSignalsOut:
    days = [
        RiskDayOut(
            day=day.day,
            counts=dict(Counter(s.kind for s in day.signals)),
            signals=[
                RiskSignalOut(
                    signal=s.kind,
                    subject=s.subject,
                    threshold=s.threshold,
                    member_id=s.member_id,
                    at=s.created_at,
                )
                for s in day.signals
            ],
        )
        for day in found.days
    ]
    return RiskSignalsOut(
        first_day=found.first_day,
        last_day=found.last_day,
        thresholds=found.thresholds,
        total=sum(len(day.signals) for day in days),
        days=days,
    )
