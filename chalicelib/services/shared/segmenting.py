"""What the segment use cases and the exports share: a segment by id, and the nightly sample."""

from __future__ import annotations

from ...domain.errors import SampleMissing, SegmentNotFound
from ...store.segments import Sample, SegmentRecord
from ..deps import Deps


def require_segment(deps: Deps, segment_id: str) -> SegmentRecord:
    found = deps.segments.get(segment_id)
    if found is None:
        raise SegmentNotFound(f"no segment {segment_id}", param="segment_id")
    return found


def require_sample(deps: Deps) -> Sample:
    found = deps.segments.sample()
    if found is None:
        raise SampleMissing(
            "the nightly RFM job has not run yet: wait a night, or run it now "
            '(POST /v1/admin/jobs/rfm {"dry_run": false}, or loyalty jobs run rfm --date TODAY)'
        )
    return found
