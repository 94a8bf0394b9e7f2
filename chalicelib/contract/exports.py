"""Exports (CSV of members, the ledger, coupons), a page at a time."""

from pydantic import BaseModel, ConfigDict, Field

from ..domain.program import Slug


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    cursor: str | None = Field(None, max_length=2048, description="the last page's Next-Cursor")
    limit: int = Field(1000, ge=1, le=5000, description="items read for this page")
    segment: Slug | None = Field(None, description="members export: only this segment's")
