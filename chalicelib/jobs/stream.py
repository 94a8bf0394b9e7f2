"""The table's stream consumer: a thin handler around `events.publish.handle`."""

from __future__ import annotations

import logging
from typing import Any

from chalice import Blueprint

from .. import observe
from ..aggregates import risk
from ..events.publish import Report, handle
from ..services.deps import Deps, deps
from ..webhooks.delivery import fan_out

stream = Blueprint(__name__)
log = logging.getLogger("loyalty.events")


# The event source (the table's stream, batches, bisect on error, the DLQ on failure) is in the
# merge template: Chalice's `on_dynamodb_record` wants a literal stream ARN at import.
@stream.lambda_function(name="stream_events")
def stream_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    d = deps()
    with observe.invocation(d.settings.brand, context):
        report = consume(d, event.get("Records", []))
        return {"records": report.records, "published": report.published, "parked": report.parked}


def consume(d: Deps, records: list[dict[str, Any]]) -> Report:
    """One batch of the table's stream, as Lambda hands it over (and the local server's
    follower and the tests do): the figures across members first, then the events."""
    report = handle(
        records,
        brand=d.settings.brand,
        events=d.events,
        bus=d.bus,
        dead_letters=d.dead_letters,
        backoff=d.backoff,
        deliveries=lambda events: fan_out(
            events, webhooks=d.webhooks, queue=d.delivery_queue, now=d.clock()
        ),
        aggregate=lambda changes: risk.observe(changes, d.programs.current(), d.risk),
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
    return report
