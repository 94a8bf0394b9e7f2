"""The books (admin): reconciliation, and the liability the running totals say."""

from ..contract.figures import (
    LiabilityOut,
    ReconciliationOut,
    ReconciliationQuery,
    liability_out,
    reconciliation_out,
)
from ..services import reconciliation
from ..services.deps import deps
from .http import Call, endpoint
from .routes import _member


@endpoint(
    "/v1/admin/reconciliation",
    "GET",
    operation="reconcileBooks",
    summary="Check the books: one member (member_id), or the brand a page of members at a "
    "time (pass next_cursor back); ok, the figures and every mismatch",
    scope="admin",
    query=ReconciliationQuery,
    response=ReconciliationOut,
    errors=(404,),
)
def reconcile(call: Call) -> ReconciliationOut:
    query = call.query
    if query.member_id is not None:
        return reconciliation_out(reconciliation.member(deps(), _member(query.member_id)))
    return reconciliation_out(reconciliation.brand_page(deps(), query.limit, query.cursor))


@endpoint(
    "/v1/admin/liability",
    "GET",
    operation="getLiability",
    summary="Points and stored value outstanding, as of now (running totals, no scan)",
    scope="admin",
    response=LiabilityOut,
)
def liability(call: Call) -> LiabilityOut:
    return liability_out(reconciliation.liability(deps()))
