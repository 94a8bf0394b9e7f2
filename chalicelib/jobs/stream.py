"""The table's stream consumer: a thin handler around `events.publish.handle`."""

from __future__ import annotations

import logging
from typing import Any

from chalice import Blueprint

from .. import observe
from ..events.publish import handle
from ..services.deps import deps
from ..webhooks.delivery import fan_out

stream = Blueprint(__name__)
log = logging.getLogger("loyalty.events")


# The event source (the table's stream, batches, bisect on error, the DLQ on failure) is in the
# merge template: Chalice's `on_dynamodb_record` wants a literal stream ARN at import.
@stream.lambda_function(name="stream_events")
def stream_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    d = deps()
    with observe.invocation(d.settings.brand, context):
        return _batch(d, event)


def _batch(d: Any, event: dict[str, Any]) -> dict[str, Any]:
    report = handle(
        event.get("Records", []),
        brand=d.settings.brand,
        events=d.events,
        bus=d.bus,
        dead_letters=d.dead_letters,
        backoff=d.backoff,
        deliveries=lambda events: fan_out(
            events, webhooks=d.webhooks, queue=d.delivery_queue, now=d.clock()
        ),
    )
    log.info(
        "stream: %d records, %d events, %d published, %d already, %d parked, %d deliveries",
        report.records,
        report.events,
        report.published,
        report.already,
        report.parked,
        report.deliveries,
    )
    return {"records": report.records, "published": report.published, "parked": report.parked}
