"""RFM, segments and campaigns to a segment."""

from datetime import date, datetime
from typing import Literal

from pydantic import (
    Field,
)

from ..domain import rfm
from ..domain.segments import (
    Campaign,
    MemberRfm,
    Overview,
    Rules,
    Segment,
    SegmentRecord,
    SegmentSize,
    estimate,
)
from .common import Request, Response


class RfmOut(Response):
    """The member's RFM (最近消费时间 / 消费频率 / 消费金额) over the brand's window, with its
    quintile scores and segment from the last nightly sample (none before the RFM job ran)."""

    window_days: int
    recency_days: int | None = Field(description="days since the last purchase; null: none")
    frequency: int = Field(description="orders in the window")
    monetary: int = Field(description="their amount net of refunds, minor units")
    r: int | None = Field(None, description="1-5 (5: most recent)")
    f: int | None = None
    m: int | None = None
    segment: str | None = Field(None, description="champions, loyal, at_risk, hibernating, ...")
    segment_name: dict[str, str] | None = Field(None, description="{en, zh}, for people")


class SegmentIn(Segment):
    """A segment: its id, name and rules (POST creates it, PUT replaces it)."""


class SegmentCountRequest(Request):
    """Rules to try before saving them, in the shape a segment holds them: `{"rules": …}`."""

    rules: Rules


class SegmentOut(Segment):
    version: int
    created_at: datetime
    updated_at: datetime


class SegmentList(Response):
    segments: list[SegmentOut]


class SegmentCountOut(Response):
    """A segment's size, estimated from the nightly RFM sample: the share of the sampled members
    it holds times the members there are. Exact (`whole_population_sampled`) when the brand is
    smaller than the sample."""

    segment_id: str | None
    members: int = Field(description="the estimate")
    matched_in_sample: int
    sampled: int
    population: int = Field(description="members when the sample was read")
    whole_population_sampled: bool
    sample_date: date


class CampaignRequest(Request):
    """Issue a coupon template to a segment's members, each once: a resumable run named by
    `campaign_id`. POST it again (same body) to go on where it stopped; it is done when
    `status` is no longer `running`."""

    campaign_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    template_id: str = Field(min_length=1, max_length=64)
    max_pages: int = Field(10, ge=1, le=100, description="pages of 200 members read by this call")


class CampaignOut(Response):
    campaign_id: str
    segment_id: str
    template_id: str
    status: Literal["running", "finished", "out_of_stock"]
    members_read: int
    matched: int = Field(description="members in the segment (its rules when the run began)")
    issued: int
    already_issued: int = Field(description="found with this campaign's coupon: not again")
    limit_reached: int = Field(description="members already holding the template's limit")
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class RfmCell(Response):
    r: int
    f: int
    members: int = Field(description="estimated")


class RfmSegmentCount(Response):
    segment: str
    name: dict[str, str]
    members: int = Field(description="estimated")


class RfmOverviewOut(Response):
    """The brand's RFM from the last nightly sample: the cut points, the recency x frequency
    grid (the dashboard's heat map) and the classic segments, as estimated members."""

    sample_date: date
    window_days: int
    population: int
    sampled: int
    buyers_sampled: int
    cuts: dict[str, list[int]] = Field(description="recency (days), frequency, monetary")
    grid: list[RfmCell]
    segments: list[RfmSegmentCount]


def campaign_out(campaign: Campaign) -> CampaignOut:
    c = campaign.counts
    return CampaignOut(
        campaign_id=campaign.campaign_id,
        segment_id=campaign.segment_id,
        template_id=campaign.template_id,
        status=campaign.status,
        members_read=c.get("members_read", 0),
        matched=c.get("matched", 0),
        issued=c.get("issued", 0),
        already_issued=c.get("already_issued", 0),
        limit_reached=c.get("limit_reached", 0),
        started_at=campaign.started_at,
        updated_at=campaign.updated_at,
        finished_at=campaign.finished_at,
    )


NAMES = {code: {"en": en, "zh": zh} for code, en, zh in rfm.SEGMENTS}


def segment_out(record: SegmentRecord) -> SegmentOut:
    return SegmentOut(
        **record.segment.model_dump(exclude={"version"}),
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def segment_list(found: list[SegmentRecord]) -> SegmentList:
    return SegmentList(segments=[segment_out(r) for r in found])


def segment_count_out(size: SegmentSize) -> SegmentCountOut:
    found = size.sample
    return SegmentCountOut(
        segment_id=size.segment_id,
        members=estimate(found, size.matched),
        matched_in_sample=size.matched,
        sampled=len(found.profiles),
        population=found.population,
        whole_population_sampled=len(found.profiles) >= found.population,
        sample_date=found.business_date,
    )


def overview_out(seen: Overview) -> RfmOverviewOut:
    found = seen.sample
    return RfmOverviewOut(
        sample_date=found.business_date,
        window_days=seen.window_days,
        population=found.population,
        sampled=len(found.profiles),
        buyers_sampled=seen.buyers,
        cuts={
            "recency": found.cuts.recency,
            "frequency": found.cuts.frequency,
            "monetary": found.cuts.monetary,
        },
        grid=[
            RfmCell(r=r, f=f, members=estimate(found, seen.grid.get((r, f), 0)))
            for r in range(1, 6)
            for f in range(1, 6)
        ],
        segments=[
            RfmSegmentCount(
                segment=code, name=NAMES[code], members=estimate(found, seen.named.get(code, 0))
            )
            for code in rfm.SEGMENT_NAMES
        ],
    )


def rfm_out(seen: MemberRfm) -> RfmOut:
    scores, profile, code = seen.scores, seen.profile, seen.segment
    return RfmOut(
        window_days=seen.window_days,
        recency_days=profile.recency_days,
        frequency=profile.frequency,
        monetary=profile.monetary,
        r=scores.r if scores else None,
        f=scores.f if scores else None,
        m=scores.m if scores else None,
        segment=code,
        segment_name=NAMES[code] if code else None,
    )
