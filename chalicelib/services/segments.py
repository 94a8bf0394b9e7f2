"""Use case (admin): the merchant's segments (人群) — defined, listed, counted — and the brand's
RFM picture, both read from the nightly RFM sample (`jobs.rfm`), never from the membership."""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from ..contract.segments import (
    RfmCell,
    RfmOut,
    RfmOverviewOut,
    RfmSegmentCount,
    SegmentCountOut,
    SegmentList,
    SegmentOut,
)
from ..domain import rfm
from ..domain.errors import (
    SegmentExists,
    SegmentNotFound,
    ValidationFailed,
    VersionConflict,
)
from ..domain.guards import Rule, WriteRejected
from ..domain.program import Program
from ..domain.segments import Profile, Rules, Segment, matches, profile_of, scores_of
from ..store.members import MemberStore
from ..store.program import ProgramCache
from ..store.segments import Sample, SegmentRecord, SegmentStore
from .shared import segmenting, writes
from .shared.segmenting import require_sample, require_segment
from .shared.writes import Answer, Idem, run_write, stage_answer

NAMES = {code: {"en": en, "zh": zh} for code, en, zh in rfm.SEGMENTS}


class Needs(writes.Needs, segmenting.Needs, Protocol):
    members: MemberStore
    programs: ProgramCache
    segments: SegmentStore


def _out(record: SegmentRecord) -> SegmentOut:
    return SegmentOut(
        **record.segment.model_dump(exclude={"version"}),
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def listed(d: Needs) -> SegmentList:
    return SegmentList(segments=[_out(r) for r in d.segments.all()])


def get(d: Needs, segment_id: str) -> SegmentOut:
    return _out(require_segment(d, segment_id))


def save(d: Needs, segment: Segment, idem: Idem | None, *, segment_id: str | None) -> Answer:
    """Create (`segment_id` None) or replace, at the version the caller read."""
    if segment_id is not None and segment.segment_id != segment_id:
        raise ValidationFailed("segment_id must match the URL", param="segment_id")

    def attempt() -> Answer:
        previous = d.segments.get(segment.segment_id)
        if segment_id is None and previous is not None:
            raise SegmentExists(
                f"segment {segment.segment_id} exists; PUT it to change it", param="segment_id"
            )
        if segment_id is not None:
            if previous is None:
                raise SegmentNotFound(f"no segment {segment_id}", param="segment_id")
            if segment.version is not None and segment.version != previous.version:
                raise VersionConflict(
                    f"the segment is at version {previous.version}", param="version"
                )
        now = d.clock()
        uow = d.uow()
        saved = d.segments.stage_save(uow, segment, now, previous)
        answer = stage_answer(
            d, uow, idem, Answer(_out(saved).model_dump_json(), created=previous is None)
        )
        try:
            uow.commit()
        except WriteRejected as rejected:
            if rejected.broke(Rule.SEGMENT_VERSION):
                raise VersionConflict("the segment changed meanwhile; retry") from rejected
            raise  # created meanwhile: the retry finds it and says so
        return answer

    return run_write(d, idem, attempt)


def delete(d: Needs, segment_id: str, idem: Idem | None) -> Answer:
    def attempt() -> Answer:
        previous = require_segment(d, segment_id)
        uow = d.uow()
        d.segments.stage_delete(uow, previous)
        answer = stage_answer(d, uow, idem, Answer(_out(previous).model_dump_json()))
        try:
            uow.commit()
        except WriteRejected as rejected:
            raise VersionConflict("the segment changed meanwhile; retry") from rejected
        return answer

    return run_write(d, idem, attempt)


# -- reading the sample ------------------------------------------------------------------------


def estimate(found: Sample, matched: int) -> int:
    """The sample's share scaled to the members there are (exact when all were read)."""
    sampled = len(found.profiles)
    if not sampled:
        return 0
    if sampled >= found.population:
        return matched
    return round(matched * found.population / sampled)


def count(d: Needs, rules: Rules, segment_id: str | None = None) -> SegmentCountOut:
    found = require_sample(d)
    matched = sum(1 for p in found.profiles if matches(rules, p, found.cuts))
    return SegmentCountOut(
        segment_id=segment_id,
        members=estimate(found, matched),
        matched_in_sample=matched,
        sampled=len(found.profiles),
        population=found.population,
        whole_population_sampled=len(found.profiles) >= found.population,
        sample_date=found.business_date,
    )


def count_segment(d: Needs, segment_id: str) -> SegmentCountOut:
    return count(d, require_segment(d, segment_id).segment.rules, segment_id)


def overview(d: Needs) -> RfmOverviewOut:
    program = d.programs.require()
    found = require_sample(d)
    grid: Counter[tuple[int, int]] = Counter()
    named: Counter[str] = Counter()
    buyers = 0
    for profile in found.profiles:
        scores = scores_of(profile, found.cuts)
        named[rfm.segment(scores)] += 1
        if scores is not None:
            buyers += 1
            grid[(scores.r, scores.f)] += 1
    return RfmOverviewOut(
        sample_date=found.business_date,
        window_days=program.rfm.window_days,
        population=found.population,
        sampled=len(found.profiles),
        buyers_sampled=buyers,
        cuts={
            "recency": found.cuts.recency,
            "frequency": found.cuts.frequency,
            "monetary": found.cuts.monetary,
        },
        grid=[
            RfmCell(r=r, f=f, members=estimate(found, grid[(r, f)]))
            for r in range(1, 6)
            for f in range(1, 6)
        ],
        segments=[
            RfmSegmentCount(segment=code, name=NAMES[code], members=estimate(found, named[code]))
            for code in rfm.SEGMENT_NAMES
        ],
    )


def rfm_of(program: Program, cuts: rfm.Cuts | None, today_profile: Profile) -> RfmOut:
    """A member's RFM today, scored against the last sample's cut points (if any)."""
    scores = scores_of(today_profile, cuts)
    code = rfm.segment(scores) if cuts is not None else None
    return RfmOut(
        window_days=program.rfm.window_days,
        recency_days=today_profile.recency_days,
        frequency=today_profile.frequency,
        monetary=today_profile.monetary,
        r=scores.r if scores else None,
        f=scores.f if scores else None,
        m=scores.m if scores else None,
        segment=code,
        segment_name=NAMES[code] if code else None,
    )


def member_rfm(d: Needs, member_id: str) -> RfmOut:
    program = d.programs.require()
    today = d.clock().astimezone(program.zone).date()
    member = d.members.member(member_id)
    return rfm_of(program, d.segments.cuts(), profile_of(member, program, today))
