"""The brand's program document: earning, redemption, pending window, expiry and time zone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Multiplier = Annotated[Decimal, Field(ge=0, le=100, max_digits=6, decimal_places=2)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EarnRate(Strict):
    """`points_per_unit` points per `unit_amount` minor units paid (default 1 point per 1.00)."""

    points_per_unit: int = Field(1, ge=0, le=10_000)
    unit_amount: int = Field(100, gt=0, le=1_000_000)
    rounding: Literal["floor", "half_up", "ceil"] = "floor"


class Bonus(Strict):
    """Items of a SKU or category earn `multiplier` times the base (0 excludes them)."""

    sku: str | None = Field(None, min_length=1, max_length=64)
    category: str | None = Field(None, min_length=1, max_length=64)
    multiplier: Multiplier

    @model_validator(mode="after")
    def _one_target(self) -> Bonus:
        if (self.sku is None) == (self.category is None):
            raise ValueError("a bonus names exactly one of sku or category")
        return self


class Campaign(Strict):
    """Every purchase made between the two dates (inclusive, brand time zone) earns more."""

    name: str = Field(min_length=1, max_length=80)
    starts_on: date
    ends_on: date
    multiplier: Multiplier

    @model_validator(mode="after")
    def _ordered(self) -> Campaign:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class RedemptionRate(Strict):
    """`points` points take `amount` minor units off (100 points = 1.00 by default)."""

    points: int = Field(100, gt=0, le=1_000_000)
    amount: int = Field(100, gt=0, le=1_000_000)
    min_points: int = Field(0, ge=0)


class RollingExpiry(Strict):
    """Each lot expires at the end of its earning day, `months` months later."""

    kind: Literal["rolling"] = "rolling"
    months: int = Field(12, ge=1, le=120)


class CalendarExpiry(Strict):
    """清零: points earned in a period expire at the end of the period `grace_periods` later."""

    kind: Literal["calendar"] = "calendar"
    period: Literal["year", "quarter"] = "year"
    grace_periods: int = Field(1, ge=0, le=10)


class NeverExpire(Strict):
    kind: Literal["never"] = "never"


ExpiryPolicy = Annotated[RollingExpiry | CalendarExpiry | NeverExpire, Field(discriminator="kind")]


class Limits(Strict):
    max_order_amount: int = Field(100_000_000, gt=0)
    max_points_per_order: int = Field(1_000_000, gt=0)


class Program(Strict):
    """The whole document: GET returns exactly what PUT accepts (with `version` filled in)."""

    version: int | None = Field(
        None,
        ge=1,
        description="Current version when read; when sent, must match (optimistic lock).",
    )
    name: str = Field(min_length=1, max_length=80)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    time_zone: str = "UTC"
    default_phone_region: str = Field("CN", pattern=r"^[A-Z]{2}$")
    earn: EarnRate = EarnRate()
    bonuses: list[Bonus] = Field(default_factory=list, max_length=200)
    campaigns: list[Campaign] = Field(default_factory=list, max_length=50)
    tier_multipliers: dict[str, Multiplier] = Field(default_factory=dict, max_length=20)
    redemption: RedemptionRate = RedemptionRate()
    return_window_days: int = Field(0, ge=0, le=365)
    expiry: ExpiryPolicy = RollingExpiry()
    limits: Limits = Limits()

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)
