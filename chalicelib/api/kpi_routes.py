"""The merchant's figures (数据看板), for the dashboard and the brand's own tools (admin)."""

from ..contract.figures import (
    KpiQuery,
    KpisOut,
    SalesTotalsOut,
    SalesTotalsRequest,
    kpis_out,
    sales_totals_out,
)
from ..services import kpis
from ..services.deps import deps
from .http import Call, endpoint


@endpoint(
    "/v1/admin/kpis",
    "GET",
    operation="getKpis",
    summary="数据看板: members, activity, sales, points and coupons day by day, week or month, "
    "with the 7/30-day active ratios, the 30-day repurchase rate and the liability now",
    scope="admin",
    query=KpiQuery,
    response=KpisOut,
)
def get_kpis(call: Call) -> KpisOut:
    query = call.query
    return kpis_out(kpis.figures(deps(), query.day_from, query.day_to, query.grain))


@endpoint(
    "/v1/admin/sales-totals",
    "POST",
    operation="reportSalesTotals",
    summary="A day's every sale, members' or not, as the storefront counts it (optional): the "
    "members' share of sales and the average order value of all orders; the last report of a "
    "day wins",
    scope="admin",
    body=SalesTotalsRequest,
    response=SalesTotalsOut,
)
def report_sales(call: Call) -> SalesTotalsOut:
    return sales_totals_out(kpis.report_sales(deps(), call.body))
