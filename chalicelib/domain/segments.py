"""Segments (人群): a merchant's rules over what a member is — tier, tags, RFM scores and segment,
lifecycle state, points balance, last purchase, birthday month — and whether a member is in.

A rule left out matches everyone; the rules given must all hold; a list matches any of its
values. Pure: a member is judged on its `Profile` as of a brand-local day, with the brand's RFM
cut points, so a count from the nightly sample and a pass over every member agree exactly.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import Struct
from pydantic import Field, ValidationInfo, field_validator

from . import rfm
from .members import Member
from .program import Program, Slug, Strict
from .rfm import Cuts

Lifecycle = Literal["active", "dormant", "churned"]
RfmSegment = Literal[
    "champions",
    "loyal",
    "new",
    "promising",
    "cannot_lose",
    "at_risk",
    "needs_attention",
    "hibernating",
    "prospect",
]
Score = int  # 1..5


class Profile(Struct, frozen=True):
    """What the rules look at, of one member on one day (also what the nightly sample keeps)."""

    member_id: str
    tier: str | None
    tags: tuple[str, ...]
    lifecycle: str
    points: int
    birthday_month: int | None
    recency_days: int | None
    frequency: int
    monetary: int


def lifecycle_on(program: Program | None, member: Member, today: date) -> Lifecycle:
    """活跃 / 沉睡 / 流失, from the brand-local days since the last activity: what the member is
    on `today`, whether or not the nightly job has reached it yet."""
    if program is None or member.last_active_at is None:
        return "active"
    idle = (today - member.last_active_at.astimezone(program.zone).date()).days
    churn_after = program.lifecycle.churned_after_days
    if churn_after is not None and idle >= churn_after:
        return "churned"
    return "dormant" if idle >= program.lifecycle.dormant_after_days else "active"


def profile_of(member: Member, program: Program, today: date) -> Profile:
    found = rfm.values(member.rfm_weeks, member.purchase_day, today, program.rfm.window_days)
    month = int(member.birthday[5:7]) if member.birthday and len(member.birthday) >= 7 else None
    return Profile(
        member_id=member.member_id,
        tier=member.tier,
        tags=tuple(member.tags),
        lifecycle=lifecycle_on(program, member, today),
        points=member.balances.balance,
        birthday_month=month,
        recency_days=found.recency_days,
        frequency=found.frequency,
        monetary=found.monetary,
    )


def scores_of(profile: Profile, cuts: rfm.Cuts | None) -> rfm.Scores | None:
    if cuts is None:
        return None
    values = rfm.Values(profile.recency_days, profile.frequency, profile.monetary)
    return rfm.scores(values, cuts)


class Rules(Strict):
    """Every rule given must hold; a list is any of its values."""

    tiers: list[str] | None = Field(
        None, min_length=1, max_length=20, description="any of these tiers; `-` for no tier"
    )
    tags_any: list[str] | None = Field(None, min_length=1, max_length=20)
    tags_all: list[str] | None = Field(None, min_length=1, max_length=20)
    tags_none: list[str] | None = Field(None, min_length=1, max_length=20)
    rfm_segments: list[RfmSegment] | None = Field(None, min_length=1)
    r_min: int | None = Field(None, ge=1, le=5)
    r_max: int | None = Field(None, ge=1, le=5)
    f_min: int | None = Field(None, ge=1, le=5)
    f_max: int | None = Field(None, ge=1, le=5)
    m_min: int | None = Field(None, ge=1, le=5)
    m_max: int | None = Field(None, ge=1, le=5)
    lifecycle: list[Lifecycle] | None = Field(None, min_length=1)
    points_min: int | None = Field(None, ge=0)
    points_max: int | None = Field(None, ge=0)
    purchased_within_days: int | None = Field(
        None, ge=0, le=730, description="last purchase at most this many days ago"
    )
    not_purchased_for_days: int | None = Field(
        None, ge=1, le=730, description="no purchase for at least this many days (or never)"
    )
    birthday_months: list[Annotated[int, Field(ge=1, le=12)]] | None = Field(
        None, min_length=1, max_length=12
    )

    @field_validator("r_max", "f_max", "m_max", "points_max")
    @classmethod
    def _not_below_min(cls, value: int | None, info: ValidationInfo) -> int | None:
        low_name = str(info.field_name).replace("_max", "_min")
        low = info.data.get(low_name)
        if value is not None and low is not None and value < low:
            raise ValueError(f"less than {low_name}")
        return value

    def uses_scores(self) -> bool:
        return any(
            v is not None
            for v in (
                self.rfm_segments,
                self.r_min,
                self.r_max,
                self.f_min,
                self.f_max,
                self.m_min,
                self.m_max,
            )
        )


def _within(value: int, low: int | None, high: int | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def matches(rules: Rules, profile: Profile, cuts: rfm.Cuts | None) -> bool:
    p = profile
    if rules.tiers is not None and (p.tier or "-") not in rules.tiers:
        return False
    tags = set(p.tags)
    if rules.tags_any is not None and not tags.intersection(rules.tags_any):
        return False
    if rules.tags_all is not None and not tags.issuperset(rules.tags_all):
        return False
    if rules.tags_none is not None and tags.intersection(rules.tags_none):
        return False
    if rules.lifecycle is not None and p.lifecycle not in rules.lifecycle:
        return False
    if not _within(p.points, rules.points_min, rules.points_max):
        return False
    if rules.birthday_months is not None and p.birthday_month not in rules.birthday_months:
        return False
    if rules.purchased_within_days is not None and (
        p.recency_days is None or p.recency_days > rules.purchased_within_days
    ):
        return False
    if rules.not_purchased_for_days is not None and (
        p.recency_days is not None and p.recency_days < rules.not_purchased_for_days
    ):
        return False
    if not rules.uses_scores():
        return True
    scores = scores_of(p, cuts)
    if rules.rfm_segments is not None and rfm.segment(scores) not in rules.rfm_segments:
        return False
    score_rules = (rules.r_min, rules.r_max, rules.f_min, rules.f_max, rules.m_min, rules.m_max)
    if any(v is not None for v in score_rules):
        if scores is None:
            return False
        return (
            _within(scores.r, rules.r_min, rules.r_max)
            and _within(scores.f, rules.f_min, rules.f_max)
            and _within(scores.m, rules.m_min, rules.m_max)
        )
    return True


class Segment(Strict):
    """A segment as the merchant defines it (GET answers what PUT accepts, with `version`)."""

    segment_id: Slug
    name: str = Field(min_length=1, max_length=80)
    description: str | None = Field(None, max_length=500)
    rules: Rules
    version: int | None = Field(None, ge=1, description="when sent, must match (optimistic lock)")


class SegmentRecord(Struct):
    segment: Segment
    version: int
    created_at: datetime
    updated_at: datetime


class Campaign(Struct):
    """A template issued to a segment's members: the rules and cut points as they were when it
    began (a later change of the segment does not move it), where the scan goes on, counts."""

    campaign_id: str
    segment_id: str
    template_id: str
    request_hash: str
    rules: str  # JSON segments.Rules
    cuts: Cuts | None
    status: str  # running | finished
    after: str | None
    counts: dict[str, int]
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    version: int = 0


class Sample(Struct):
    business_date: date
    cuts: Cuts
    population: int
    profiles: list[Profile]
    created_at: datetime


def estimate(found: Sample, matched: int) -> int:
    """The sample's share scaled to the members there are (exact when all were read)."""
    sampled = len(found.profiles)
    if not sampled:
        return 0
    if sampled >= found.population:
        return matched
    return round(matched * found.population / sampled)


class SegmentSize(Struct, frozen=True):
    """A segment's size in the sample: `matched` of its profiles."""

    segment_id: str | None
    sample: Sample
    matched: int


class Overview(Struct, frozen=True):
    """The brand's RFM in the sample: members by (recency, frequency) score and by segment."""

    sample: Sample
    window_days: int
    buyers: int
    grid: dict[tuple[int, int], int]
    named: dict[str, int]


def overview_of(found: Sample, window_days: int) -> Overview:
    grid: dict[tuple[int, int], int] = {}
    named: dict[str, int] = {}
    buyers = 0
    for profile in found.profiles:
        scores = scores_of(profile, found.cuts)
        code = rfm.segment(scores)
        named[code] = named.get(code, 0) + 1
        if scores is not None:
            buyers += 1
            grid[(scores.r, scores.f)] = grid.get((scores.r, scores.f), 0) + 1
    return Overview(found, window_days, buyers, grid, named)


class MemberRfm(Struct, frozen=True):
    """A member's RFM today, scored against the last sample's cut points (None: no sample)."""

    window_days: int
    profile: Profile
    scores: rfm.Scores | None
    segment: str | None
