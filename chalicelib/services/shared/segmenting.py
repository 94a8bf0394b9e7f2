"""What the segment use cases and the exports share: a segment by id, and the nightly sample."""

from __future__ import annotations

from typing import Protocol

from ...domain.errors import SampleMissing, SegmentNotFound
from ...domain.rfm import Cuts
from ...domain.segments import Rules, Sample, SegmentRecord
from ...store.segments import SegmentStore


class Needs(Protocol):
    segments: SegmentStore


MISSING = (
    "the nightly RFM job has not run yet: wait a night, or run it now "
    '(POST /v1/admin/jobs/rfm {"dry_run": false}, or loyalty jobs run rfm --date TODAY)'
)


def require_segment(d: Needs, segment_id: str) -> SegmentRecord:
    found = d.segments.get(segment_id)
    if found is None:
        raise SegmentNotFound(f"no segment {segment_id}", param="segment_id")
    return found


def cuts_for(d: Needs, rules: Rules | None) -> Cuts | None:
    """The last cut points (None before the first RFM run), which rules on scores require."""
    cuts = d.segments.cuts()
    if cuts is None and rules is not None and rules.uses_scores():
        raise SampleMissing(MISSING)
    return cuts


def require_sample(d: Needs) -> Sample:
    found = d.segments.sample()
    if found is None:
        raise SampleMissing(MISSING)
    return found
