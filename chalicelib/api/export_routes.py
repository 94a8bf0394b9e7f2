"""Data in and out (admin): CSV of the members (of a segment, if asked), the ledger and the
coupons; a member's opening balance and tier from the brand's old system (`loyalty import`)."""

from urllib.parse import urlencode

from chalice import Response

from ..contract.common import as_json
from ..contract.exports import ExportQuery
from ..contract.opening import OpeningOut, OpeningRequest, opening_out
from ..domain.errors import NotFound
from ..services import exports, opening
from ..services.deps import deps
from ..services.shared.writes import Answer
from .http import Call, endpoint
from .routes import _member

KINDS = ("members", "ledger", "coupons")


@endpoint(
    "/v1/admin/exports/{kind}",
    "GET",
    operation="exportRecords",
    summary="CSV of the members, ledger or coupons, a page at a time (Next-Cursor / Link "
    "headers); contact data masked, names and birthdays too unless the key has pii:read",
    scope="admin",
    query=ExportQuery,
    errors=(404, 409),
    produces="text/csv",
)
def export(call: Call, kind: str) -> Response:
    if kind not in KINDS:
        raise NotFound(f"no export {kind!r}: one of {', '.join(KINDS)}", param="kind")
    query = call.query
    found = exports.page(
        deps(),
        kind,  # type: ignore[arg-type]
        cursor=query.cursor,
        limit=query.limit,
        segment_id=query.segment,
        pii="pii:read" in call.grants,
    )
    headers: dict[str, str | list[str]] = {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{kind}.csv"',
        "Cache-Control": "no-store",
        "Export-Rows": str(found.rows),
    }
    if found.next_cursor is not None:
        following = {"cursor": found.next_cursor, "limit": str(query.limit)}
        if query.segment:
            following["segment"] = query.segment
        headers["Next-Cursor"] = found.next_cursor
        headers["Link"] = f'</v1/admin/exports/{kind}?{urlencode(following)}>; rel="next"'
    return Response(body=found.csv, status_code=200, headers=headers)


@endpoint(
    "/v1/admin/members/{member_id}/opening-balance",
    "POST",
    operation="openMemberBalance",
    summary="导入: a member's opening points (with their last day) and tier from another system, "
    "written as an `import` ledger row; once per member, the same request again answers the first",
    scope="admin",
    body=OpeningRequest,
    response=OpeningOut,
    status=201,
    errors=(404, 409),
)
def open_member(call: Call, member_id: str) -> Answer:
    return opening.open_member(
        deps(), _member(member_id), call.body, call.idem, as_json(opening_out)
    )
