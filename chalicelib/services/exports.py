"""Use case (admin): the members, the ledger and the coupons as CSV, a page of the table's scan
at a time (the cursor says where the next page starts), for the brand's spreadsheets and BI.

Contact data is masked always: the engine never keeps a phone or an email in the clear (only
masked, and keyed fingerprints to find a member by). Names and birthdays, which it does keep, are
masked too unless the key was created with `pii:read`. The first page starts with a UTF-8 byte
order mark and the header row, so the pages put end to end are one file Excel opens in Chinese."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Literal, Protocol

from msgspec import Struct

from ..domain.coupons import Coupon
from ..domain.errors import ValidationFailed
from ..domain.members import Member
from ..domain.points import LedgerRow
from ..domain.program import Program
from ..domain.rfm import segment as rfm_segment
from ..domain.segments import Rules, matches, profile_of, scores_of
from ..store import cursors
from ..store.coupons import CouponStore
from ..store.ledger import LedgerStore
from ..store.members import MemberStore
from ..store.program import ProgramCache
from .shared import segmenting
from .shared.segmenting import cuts_for, require_segment

Kind = Literal["members", "ledger", "coupons"]
BOM = "\ufeff"
MEMBER_COLUMNS = (
    "member_id",
    "phone",
    "email",
    "external_id",
    "name",
    "birthday",
    "birthday_month",
    "tier",
    "points_balance",
    "points_pending",
    "points_debt",
    "lifetime_points",
    "tags",
    "lifecycle",
    "recency_days",
    "frequency",
    "monetary",
    "rfm_segment",
    "marketing_consent",
    "channel",
    "created_at",
    "last_active_at",
)
LEDGER_COLUMNS = (
    "member_id",
    "seq",
    "entry_id",
    "kind",
    "points",
    "balance_delta",
    "pending_delta",
    "debt_delta",
    "balance_after",
    "pending_after",
    "debt_after",
    "order_id",
    "reason",
    "created_at",
)
COUPON_COLUMNS = (
    "member_id",
    "code",
    "template_id",
    "status",
    "source",
    "issued_at",
    "valid_from",
    "valid_until",
    "order_id",
    "redeemed_at",
)
COLUMNS = {"members": MEMBER_COLUMNS, "ledger": LEDGER_COLUMNS, "coupons": COUPON_COLUMNS}


class Needs(segmenting.Needs, Protocol):
    coupons: CouponStore
    ledger: LedgerStore
    members: MemberStore
    programs: ProgramCache

    @property
    def clock(self) -> Callable[[], datetime]: ...


class Page(Struct):
    csv: str
    rows: int
    next_cursor: str | None


def mask_name(name: str | None) -> str | None:
    """张三丰 -> 张**; Ada Lovelace -> A***********."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)


def _when(at: datetime | None) -> str:
    return at.isoformat() if at is not None else ""


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    # a cell a spreadsheet would run as a formula is quoted as text (CSV injection)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _members(
    d: Needs, program: Program, found: Iterable[Member], rules: Rules | None, pii: bool
) -> list[list[Any]]:
    today = d.clock().astimezone(program.zone).date()
    cuts = cuts_for(d, rules)
    out = []
    for member in found:
        profile = profile_of(member, program, today)
        if rules is not None and not matches(rules, profile, cuts):
            continue
        b = member.balances
        out.append(
            [
                member.member_id,
                member.phone_masked,
                member.email_masked,
                member.external_id,
                member.name if pii else mask_name(member.name),
                member.birthday if pii else None,
                profile.birthday_month,
                member.tier,
                b.balance,
                b.pending,
                b.debt,
                b.lifetime,
                ";".join(member.tags),
                profile.lifecycle,
                profile.recency_days,
                profile.frequency,
                profile.monetary,
                rfm_segment(scores_of(profile, cuts)) if cuts is not None else None,
                member.marketing_consent,
                member.channel,
                _when(member.created_at),
                _when(member.last_active_at),
            ]
        )
    return out


def page(
    d: Needs,
    kind: Kind,
    *,
    cursor: str | None = None,
    limit: int = 1000,
    segment_id: str | None = None,
    pii: bool = False,
) -> Page:
    """One page of an export: up to `limit` items of the scan (fewer rows when a segment's
    rules leave members out); `next_cursor` None on the last."""
    program = d.programs.require()
    if segment_id is not None and kind != "members":
        raise ValidationFailed("segment is for the members export only", param="segment")
    rules = require_segment(d, segment_id).segment.rules if segment_id else None
    after = cursors.decode_scan(kind, cursor) if cursor else None
    rows: list[list[Any]]
    if kind == "members":
        found, after = d.members.scan(after=after, limit=limit)
        rows = _members(d, program, found, rules, pii)
    elif kind == "ledger":
        entries, after = d.ledger.scan(after, limit)
        rows = [_ledger_row(member_id, r) for member_id, r in entries]
    else:
        coupons, after = d.coupons.scan(after, limit)
        rows = [_coupon_row(c) for c in coupons]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")  # RFC 4180
    if cursor is None:
        text.write(BOM)
        writer.writerow(COLUMNS[kind])
    writer.writerows([_cell(v) for v in row] for row in rows)
    return Page(text.getvalue(), len(rows), cursors.encode_scan(kind, after) if after else None)


def _ledger_row(member_id: str, r: LedgerRow) -> list[Any]:
    return [
        member_id,
        r.seq,
        r.entry_id,
        r.kind,
        r.points,
        r.balance_delta,
        r.pending_delta,
        r.debt_delta,
        r.balance_after,
        r.pending_after,
        r.debt_after,
        r.order_id,
        r.reason,
        _when(r.created_at),
    ]


def _coupon_row(c: Coupon) -> list[Any]:
    return [
        c.member_id,
        c.code,
        c.template.template_id,
        c.status,
        c.source,
        _when(c.issued_at),
        _when(c.valid_from),
        _when(c.valid_until),
        c.order_id,
        _when(c.redeemed_at),
    ]
