"""The webhook sender: one attempt per queue message (`webhooks.delivery.deliver`), a thin
handler around it. A message whose attempt could not be settled (DynamoDB unavailable) is
reported failed, so SQS gives it again; the rest of the batch is done."""

import json
import logging
from typing import Any

from chalice import Blueprint

from .. import observe
from ..services.deps import Deps, deps
from ..webhooks.delivery import deliver

webhooks = Blueprint(__name__)
log = logging.getLogger("loyalty.webhooks")


def attempt(d: Deps, queued: dict[str, Any]) -> str:
    return deliver(
        queued,
        webhooks=d.webhooks,
        events=d.events,
        sender=d.sender,
        queue=d.delivery_queue,
        clock=d.clock,
        draw=d.draw,
        brand_key=d.pii_key,
    )


# The event source (the deliveries queue, batch item failures) is in the merge template.
@webhooks.lambda_function(name="webhook_deliveries")
def webhook_deliveries(event: dict[str, Any], context: Any) -> dict[str, Any]:
    d = deps()
    with observe.invocation(d.settings.brand, context):
        return _batch(d, event)


def _batch(d: Deps, event: dict[str, Any]) -> dict[str, Any]:
    failures = []
    for record in event.get("Records", []):
        try:
            outcome = attempt(d, json.loads(record["body"]))
            log.info("webhook delivery %s: %s", record.get("messageId"), outcome)
        except Exception:
            log.exception(
                "webhook delivery %s not settled; SQS retries it", record.get("messageId")
            )
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
