"""Opening balances brought from another system (导入)."""

from datetime import date

from pydantic import (
    Field,
)

from ..domain.bounds import Day
from ..domain.outcomes import OpeningRecorded
from .common import Request, Response
from .members import MemberOut, member_out


class OpeningRequest(Request):
    """What a member brings from the brand's old system (导入): its points, until when they can
    be spent, and its tier. Once per member; the same request again gets the first answer."""

    points: int = Field(0, ge=0, le=100_000_000, description="the opening balance")
    expires_on: Day | None = Field(
        None,
        description="the last brand-local day the points can be spent; default: the program's "
        "expiry rule, as for points earned today",
    )
    tier: str | None = Field(None, min_length=1, max_length=40, description="the opening tier")
    source: str | None = Field(None, max_length=120, description="e.g. the file imported")


class OpeningOut(Response):
    member_id: str
    points: int
    expires_on: date | None
    tier: str | None
    member: MemberOut


def opening_out(done: OpeningRecorded) -> OpeningOut:
    return OpeningOut(
        member_id=done.member_id,
        points=done.points,
        expires_on=done.expires_on,
        tier=done.tier,
        member=member_out(done.seen),
    )
