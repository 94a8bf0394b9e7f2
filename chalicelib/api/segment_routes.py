"""The merchant's segments (人群) and the brand's RFM (admin)."""

from ..contract.common import as_json
from ..contract.segments import (
    CampaignOut,
    CampaignRequest,
    RfmOut,
    RfmOverviewOut,
    SegmentCountOut,
    SegmentCountRequest,
    SegmentIn,
    SegmentList,
    SegmentOut,
    campaign_out,
    overview_out,
    rfm_out,
    segment_count_out,
    segment_list,
    segment_out,
)
from ..services import segment_issue, segments
from ..services.deps import deps
from ..services.shared.writes import Answer
from .http import Call, endpoint
from .routes import _member

S = "/v1/admin/segments"
ONE = f"{S}/{{segment_id}}"


@endpoint(
    S,
    "GET",
    operation="listSegments",
    summary="The merchant's segments (人群)",
    scope="admin",
    response=SegmentList,
)
def list_segments(call: Call) -> SegmentList:
    return segment_list(segments.listed(deps()))


@endpoint(
    S,
    "POST",
    operation="createSegment",
    summary="Define a segment by rules over tier, tags, RFM scores and segment, lifecycle "
    "state, points balance, last purchase and birthday month",
    scope="admin",
    body=SegmentIn,
    response=SegmentOut,
    status=201,
    errors=(409,),
)
def create_segment(call: Call) -> Answer:
    return segments.save(deps(), call.body, call.idem, as_json(segment_out), segment_id=None)


@endpoint(
    f"{S}/count",
    "POST",
    operation="previewSegmentCount",
    summary="How many members rules would hold, before saving them (estimated from the "
    "nightly RFM sample)",
    scope="admin",
    body=SegmentCountRequest,
    response=SegmentCountOut,
    errors=(409,),
)
def preview_count(call: Call) -> SegmentCountOut:
    return segment_count_out(segments.count(deps(), call.body.rules))


@endpoint(
    ONE,
    "GET",
    operation="getSegment",
    summary="A segment",
    scope="admin",
    response=SegmentOut,
    errors=(404,),
)
def get_segment(call: Call, segment_id: str) -> SegmentOut:
    return segment_out(segments.get(deps(), segment_id))


@endpoint(
    ONE,
    "PUT",
    operation="putSegment",
    summary="Replace a segment's name and rules (send the version read)",
    scope="admin",
    body=SegmentIn,
    response=SegmentOut,
    errors=(404, 409),
)
def put_segment(call: Call, segment_id: str) -> Answer:
    return segments.save(deps(), call.body, call.idem, as_json(segment_out), segment_id=segment_id)


@endpoint(
    ONE,
    "DELETE",
    operation="deleteSegment",
    summary="Remove a segment (answers it as it was)",
    scope="admin",
    response=SegmentOut,
    errors=(404, 409),
)
def delete_segment(call: Call, segment_id: str) -> Answer:
    return segments.delete(deps(), segment_id, call.idem, as_json(segment_out))


@endpoint(
    f"{ONE}/count",
    "GET",
    operation="countSegment",
    summary="The segment's size now, estimated from the nightly RFM sample (exact when the "
    "brand is smaller than the sample)",
    scope="admin",
    response=SegmentCountOut,
    errors=(404, 409),
)
def count_segment(call: Call, segment_id: str) -> SegmentCountOut:
    return segment_count_out(segments.count_segment(deps(), segment_id))


@endpoint(
    "/v1/admin/rfm",
    "GET",
    operation="getRfmOverview",
    summary="RFM: the score cut points, the recency x frequency heat map and the classic "
    "segments (champions, loyal, at risk, hibernating, ...), from the nightly sample",
    scope="admin",
    response=RfmOverviewOut,
    errors=(409,),
)
def rfm_overview(call: Call) -> RfmOverviewOut:
    return overview_out(segments.overview(deps()))


@endpoint(
    "/v1/admin/members/{member_id}/rfm",
    "GET",
    operation="getMemberRfm",
    summary="A member's recency, frequency and monetary value, scores and segment",
    scope="admin",
    response=RfmOut,
    errors=(404,),
)
def member_rfm(call: Call, member_id: str) -> RfmOut:
    return rfm_out(segments.member_rfm(deps(), _member(member_id)))


@endpoint(
    f"{ONE}/issues",
    "POST",
    operation="issueCouponsToSegment",
    summary="定向发券: issue a coupon template to the segment's members, each once, as a "
    "resumable run named by campaign_id; POST the same body again to go on until it is done",
    scope="admin",
    body=CampaignRequest,
    response=CampaignOut,
    status=201,
    errors=(404, 409),
)
def issue_to_segment(call: Call, segment_id: str) -> Answer:
    return segment_issue.issue(deps(), segment_id, call.body, as_json(campaign_out))


@endpoint(
    f"{ONE}/issues/{{campaign_id}}",
    "GET",
    operation="getSegmentCampaign",
    summary="How far a segment's coupon campaign got",
    scope="admin",
    response=CampaignOut,
    errors=(404,),
)
def campaign_status(call: Call, segment_id: str, campaign_id: str) -> CampaignOut:
    return campaign_out(segment_issue.status(deps(), segment_id, campaign_id))
