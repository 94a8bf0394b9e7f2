"""Use case (admin): the merchant's segments (人群) — defined, listed, counted — and the brand's
RFM picture, both read from the nightly RFM sample (`jobs.rfm`), never from the membership."""

from __future__ import annotations

from typing import Protocol

from ..domain import rfm
from ..domain.errors import (
    SegmentExists,
    SegmentNotFound,
    ValidationFailed,
    VersionConflict,
)
from ..domain.guards import Rule, WriteRejected
from ..domain.program import Program
from ..domain.segments import (
    MemberRfm,
    Overview,
    Profile,
    Rules,
    Segment,
    SegmentRecord,
    SegmentSize,
    matches,
    overview_of,
    profile_of,
    scores_of,
)
from ..store.members import MemberStore
from ..store.program import ProgramCache
from ..store.segments import SegmentStore
from .shared import segmenting, writes
from .shared.segmenting import require_sample, require_segment
from .shared.writes import Answer, Idem, Present, run_write, stage_answer


class Needs(writes.Needs, segmenting.Needs, Protocol):
    members: MemberStore
    programs: ProgramCache
    segments: SegmentStore


def listed(d: Needs) -> list[SegmentRecord]:
    return d.segments.all()


def get(d: Needs, segment_id: str) -> SegmentRecord:
    return require_segment(d, segment_id)


def save(
    d: Needs,
    segment: Segment,
    idem: Idem | None,
    present: Present[SegmentRecord],
    *,
    segment_id: str | None,
) -> Answer:
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
        answer = stage_answer(d, uow, idem, Answer(present(saved), created=previous is None))
        try:
            uow.commit()
        except WriteRejected as rejected:
            if rejected.broke(Rule.SEGMENT_VERSION):
                raise VersionConflict("the segment changed meanwhile; retry") from rejected
            raise  # created meanwhile: the retry finds it and says so
        return answer

    return run_write(d, idem, attempt)


def delete(d: Needs, segment_id: str, idem: Idem | None, present: Present[SegmentRecord]) -> Answer:
    def attempt() -> Answer:
        previous = require_segment(d, segment_id)
        uow = d.uow()
        d.segments.stage_delete(uow, previous)
        answer = stage_answer(d, uow, idem, Answer(present(previous)))
        try:
            uow.commit()
        except WriteRejected as rejected:
            raise VersionConflict("the segment changed meanwhile; retry") from rejected
        return answer

    return run_write(d, idem, attempt)


# -- reading the sample ------------------------------------------------------------------------


def count(d: Needs, rules: Rules, segment_id: str | None = None) -> SegmentSize:
    found = require_sample(d)
    matched = sum(1 for p in found.profiles if matches(rules, p, found.cuts))
    return SegmentSize(segment_id, found, matched)


def count_segment(d: Needs, segment_id: str) -> SegmentSize:
    return count(d, require_segment(d, segment_id).segment.rules, segment_id)


def overview(d: Needs) -> Overview:
    program = d.programs.require()
    return overview_of(require_sample(d), program.rfm.window_days)


def rfm_of(program: Program, cuts: rfm.Cuts | None, today_profile: Profile) -> MemberRfm:
    """A member's RFM today, scored against the last sample's cut points (if any)."""
    scores = scores_of(today_profile, cuts)
    code = rfm.segment(scores) if cuts is not None else None
    return MemberRfm(program.rfm.window_days, today_profile, scores, code)


def member_rfm(d: Needs, member_id: str) -> MemberRfm:
    program = d.programs.require()
    today = d.clock().astimezone(program.zone).date()
    member = d.members.member(member_id)
    return rfm_of(program, d.segments.cuts(), profile_of(member, program, today))
