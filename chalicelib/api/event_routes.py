"""Events for pulling (the last 30 days, newest first; admin), and their catalogue."""

from __future__ import annotations

import json

from chalice import Response

from ..contract.events import EventOut, EventPage, EventQuery
from ..events import reading
from ..services.deps import deps
from .blueprint import api
from .http import Call, endpoint


@api.route("/v1/events/asyncapi.json", methods=["GET"])
def asyncapi() -> Response:
    """The event catalogue (AsyncAPI 3.0), public like the OpenAPI document."""
    # Its models describe events for readers of the document; only this route needs them.
    from ..events import catalogue

    document = catalogue.document(deps().settings.brand)
    return Response(
        body=json.dumps(document), status_code=200, headers={"Content-Type": "application/json"}
    )


@endpoint(
    "/v1/admin/events",
    "GET",
    operation="listEvents",
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
    operation="getEvent",
    summary="One event by id, as it was published",
    scope="admin",
    response=EventOut,
    errors=(404,),
)
def get_event(call: Call, event_id: str) -> EventOut:
    return reading.get(deps().events, event_id)
