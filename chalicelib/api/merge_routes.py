"""Merging two members (合并), for the merchant (admin)."""

from ..contract.common import as_json
from ..contract.merges import MergeOut, MergeRequest, merge_out
from ..services import merges
from ..services.deps import deps
from ..services.shared.writes import Answer
from .http import Call, endpoint
from .routes import _member


@endpoint(
    "/v1/admin/members/{member_id}/merge",
    "POST",
    operation="mergeMember",
    summary="合并: merge from_member_id into this member (identities, lots with their expiry, "
    "pending points, debt, growth, tier, coupons, orders); resumable, asked again it goes on "
    "where it stopped; the merged member answers member_merged from then on",
    scope="admin",
    body=MergeRequest,
    response=MergeOut,
    errors=(404, 409),
)
def merge_member(call: Call, member_id: str) -> Answer:
    return merges.merge_members(
        deps(), _member(member_id), call.body, call.idem, as_json(merge_out)
    )
