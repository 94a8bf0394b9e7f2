"""The velocity signals (风控), for the merchant (admin)."""

from ..contract.risk import RiskQuery, RiskSignalsOut, risk_signals_out
from ..services import risk_signals
from ..services.deps import deps
from .http import Call, endpoint


@endpoint(
    "/v1/admin/risk/signals",
    "GET",
    operation="listRiskSignals",
    summary="风控: the velocity signals reached (many enrolments from one device or network, "
    "redemption bursts, refunds after redeeming), day by day; not blocking",
    scope="admin",
    query=RiskQuery,
    response=RiskSignalsOut,
)
def list_signals(call: Call) -> RiskSignalsOut:
    return risk_signals_out(risk_signals.signals(deps(), call.query.day_from, call.query.day_to))
