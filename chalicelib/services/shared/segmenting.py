"""What the segment use cases and the exports share: a segment by id, and the nightly sample."""

from __future__ import annotations

from ...domain.errors import SampleMissing, SegmentNotFound
from ...domain.rfm import Cuts
from ...domain.segments import Rules
from ...store.segments import Sample, SegmentRecord
from ..deps import Deps

MISSING = (
    "the nightly RFM job has not run yet: wait a night, or run it now "
    '(POST /v1/admin/jobs/rfm {"dry_run": false}, or loyalty jobs run rfm --date TODAY)'
)


def require_segment(deps: Deps, segment_id: str) -> SegmentRecord:
    found = deps.segments.get(segment_id)
    if found is None:
        raise SegmentNotFound(f"no segment {segment_id}", param="segment_id")
    return found


def cuts_for(deps: Deps, rules: Rules | None) -> Cuts | None:
    """The last cut points (None before the first RFM run), which rules on scores require."""
    cuts = deps.segments.cuts()
    if cuts is None and rules is not None and rules.uses_scores():
        raise SampleMissing(MISSING)
    return cuts


def require_sample(deps: Deps) -> Sample:
    found = deps.segments.sample()
    if found is None:
        raise SampleMissing(MISSING)
    return found
