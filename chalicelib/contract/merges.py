"""Merging two members of one person (合并)."""

from datetime import datetime

from pydantic import (
    Field,
)

from ..domain.outcomes import Merged
from .common import Request, Response
from .members import MemberOut, member_out


class MergeRequest(Request):
    from_member_id: str = Field(
        pattern=r"^mem_[0-9A-Z]{26}$",
        description="the member merged away: it answers member_merged from then on",
    )


class MergeMovedOut(Response):
    identities: int = 0
    lots: int = Field(0, description="point lots, each with its own expiry and vesting kept")
    points: int = Field(0, description="vested points moved")
    pending: int = 0
    debt: int = 0
    lifetime_points: int = 0
    growth: int = Field(0, description="成长值")
    wallet_principal: int = Field(0, description="stored value paid in, moved (minor units)")
    wallet_bonus: int = Field(0, description="stored value given as top-up bonus, moved")
    records: int = Field(
        0, description="coupons, orders, redemptions, wallet payments, friends referred, ..."
    )


class MergeOut(Response):
    member: MemberOut = Field(description="the surviving member, as it is after the merge")
    from_member_id: str
    merged_at: datetime
    moved: MergeMovedOut
    kept_with_merged_member: list[str] = Field(
        default_factory=list,
        description="records left with the merged member: the survivor has one under the "
        "same key (e.g. an order id both members have); its ledger history stays readable "
        "at GET /v1/members/{from_member_id}/ledger",
    )


def merge_out(done: Merged) -> MergeOut:
    return MergeOut(
        member=member_out(done.seen),
        from_member_id=done.from_member_id,
        merged_at=done.merged_at,
        moved=MergeMovedOut(**done.moved),
        kept_with_merged_member=done.kept,
    )
