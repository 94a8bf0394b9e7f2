"""Events for pulling: the last 30 days, newest first (admin)."""

from __future__ import annotations

from ..contract import EventOut, EventPage, EventQuery
from ..events import reading
from ..services.deps import deps
from .http import Call, endpoint


@endpoint(
    "/v1/admin/events",
    "GET",
    summary="Events of the last 30 days, newest first; filter by type, member and UTC days",
    scope="admin",
    query=EventQuery,
    response=EventPage,
)
def list_events(call: Call) -> EventPage:
    d = deps()
    return reading.page(d.events, call.query, d.clock())


@endpoint(
    "/v1/admin/events/{event_id}",
    "GET",
    summary="One event by id, as it was published",
    scope="admin",
    response=EventOut,
    errors=(404,),
)
def get_event(call: Call, event_id: str) -> EventOut:
    return reading.get(deps().events, event_id)
