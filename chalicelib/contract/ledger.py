"""The member's points ledger (积分明细), a page at a time."""

from datetime import datetime
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from ..domain.outcomes import LedgerSlice
from .common import Response


class LedgerEntryOut(Response):
    entry_id: str
    kind: Literal[
        "earn",
        "checkin",
        "referral",
        "vest",
        "redeem",
        "exchange",
        "clawback",
        "redeem_return",
        "expire",
        "debt_repayment",
        "merge_out",
        "merge_in",
        "import",
    ] = Field(
        description="merge_out/merge_in: what a member merge moved (合并); import: an opening "
        "balance brought from another system (导入)"
    )
    points: int = Field(description="change of balance + pending - debt")
    balance_delta: int
    pending_delta: int
    debt_delta: int
    balance_after: int
    pending_after: int
    debt_after: int
    reason: str
    order_id: str | None
    created_at: datetime


class LedgerPage(Response):
    entries: list[LedgerEntryOut]
    next_cursor: str | None


class LedgerQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200)


def ledger_page(found: LedgerSlice) -> LedgerPage:
    return LedgerPage(
        entries=[LedgerEntryOut.model_validate(row, from_attributes=True) for row in found.rows],
        next_cursor=found.next_cursor,
    )
