"""Webhook deliveries: made from the events the stream consumer keeps, then tried one attempt
per queue message until a 2xx, the last attempt, or a redelivery asked for.

At least once, but each attempt once: a delivery is made once per (endpoint, event) by a
conditional put, and an attempt is claimed by a conditional update before it is sent, so a
stream batch or a queue message delivered twice sends nothing twice. The next attempt's message
is queued before this one's outcome is recorded: whatever dies on the way, a message is left.
Signed per Standard Webhooks 1.0 with its reference library (`standardwebhooks`)."""

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.webhooks import retry_wait, signing_secrets, wants
from ..store.delivery_queue import DeliveryQueue
from ..store.events import EventStore
from ..store.sealed import open_sealed
from ..store.webhooks import DELIVERED, FAILED, PENDING, Delivery, Endpoint, WebhookStore
from .sender import HttpSender, Sent

log = logging.getLogger("loyalty.webhooks")
USER_AGENT = "loyalty-engine-webhooks/1"
UNWRITTEN_ROUND = timedelta(seconds=30)


def message(delivery: Delivery, attempt: int, not_before: datetime) -> dict[str, Any]:
    return {
        "webhook_id": delivery.webhook_id,
        "delivery_id": delivery.delivery_id,
        "round": delivery.round,
        "attempt": attempt,
        "not_before": not_before.astimezone(UTC).isoformat(),
    }


def fan_out(
    events: Iterable[tuple[str, str]],
    *,
    webhooks: WebhookStore,
    queue: DeliveryQueue,
    now: datetime,
) -> int:
    """A delivery, and its first attempt queued, for each (event id, type) and each enabled
    endpoint that wants the type; returns how many were queued. Run again over the same events,
    it queues again only deliveries whose first attempt has not been taken."""
    endpoints = [e for e in webhooks.all() if e.enabled]
    queued = 0
    for event_id, event_type in events:
        for endpoint in endpoints:
            if not wants(endpoint.events, event_type):
                continue
            delivery, made = webhooks.add_delivery(endpoint.webhook_id, event_id, event_type, now)
            untaken = delivery.status == PENDING and delivery.round == 1 and delivery.attempts == 0
            if made or untaken:
                queue.send(message(delivery, 1, now), timedelta())
                queued += 1
    return queued


def signature(brand_key: bytes, endpoint: Endpoint, msg_id: str, at: datetime, body: str) -> str:
    """`v1,<base64>` per secret in use, space-separated (two during a rotation's 24 hours)."""
    from standardwebhooks.webhooks import Webhook

    old = (
        open_sealed(brand_key, endpoint.old_secret, endpoint.webhook_id)
        if endpoint.old_secret
        else None
    )
    current = open_sealed(brand_key, endpoint.secret, endpoint.webhook_id)
    secrets = signing_secrets(current, old, endpoint.old_secret_until, at)
    return " ".join(Webhook(s).sign(msg_id, at.astimezone(UTC), body) for s in secrets)


def deliver(
    queued: dict[str, Any],
    *,
    webhooks: WebhookStore,
    events: EventStore,
    sender: HttpSender,
    queue: DeliveryQueue,
    clock: Callable[[], datetime],
    draw: Callable[[], float],
    brand_key: bytes,
) -> str:
    """One attempt of one delivery; returns what happened (for the log and tests): delivered,
    retrying, failed, waiting (not due yet: queued on), or stale (a duplicate message)."""
    round_, attempt = int(queued["round"]), int(queued["attempt"])
    delivery = webhooks.delivery(queued["webhook_id"], queued["delivery_id"])
    now = clock()
    not_now = _not_now(queued, delivery, queue, now)
    if not_now is not None:
        return not_now
    assert delivery is not None
    if not webhooks.claim(delivery, round_, attempt, now):
        return "stale"
    endpoint = webhooks.get(delivery.webhook_id)
    event = events.get(delivery.event_id)
    if endpoint is None or not endpoint.enabled or event is None:
        reason = (
            "the endpoint was deleted"
            if endpoint is None
            else "the endpoint is disabled"
            if not endpoint.enabled
            else "the event is no longer kept (30 days)"
        )
        _record(webhooks, delivery, attempt, FAILED, None, reason, None, now)
        return "failed"
    headers = {
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(brand_key, endpoint, delivery.event_id, now, event.envelope),
        "User-Agent": USER_AGENT,
    }
    sent = sender.post(endpoint.url, headers, event.envelope)
    return _after(webhooks, queue, delivery, attempt, sent, clock(), draw())


def _not_now(
    queued: dict[str, Any], delivery: Delivery | None, queue: DeliveryQueue, now: datetime
) -> str | None:
    """Why this message is not sent now (waiting, stale); None: it is due."""
    round_, attempt = int(queued["round"]), int(queued["attempt"])
    due = datetime.fromisoformat(queued["not_before"])
    if delivery is not None and delivery.round == round_ - 1 and now - due < UNWRITTEN_ROUND:
        # A redelivery queues its message before it writes the new round: give the write a
        # moment (if it failed, the message is dropped once this window has passed).
        queue.send(queued, timedelta(seconds=1))
        return "waiting"
    if delivery is None or delivery.status != PENDING or delivery.round != round_:
        return "stale"
    if delivery.attempts not in (attempt - 1, attempt):
        return "stale"
    if now < due:
        queue.send(queued, due - now)
        return "waiting"
    return None


def _after(
    webhooks: WebhookStore,
    queue: DeliveryQueue,
    delivery: Delivery,
    attempt: int,
    sent: Sent,
    done: datetime,
    draw: float,
) -> str:
    """The attempt's outcome recorded: delivered, failed for good, or the next one queued."""
    if sent.ok:
        _record(webhooks, delivery, attempt, DELIVERED, sent.code, None, None, done)
        return "delivered"
    wait = retry_wait(attempt, draw)
    if wait is None:
        _record(webhooks, delivery, attempt, FAILED, sent.code, sent.reason, None, done)
        log.warning("webhook %s parked as failed: %s", delivery.delivery_id, sent.reason)
        return "failed"
    next_at = done + wait
    queue.send(message(delivery, attempt + 1, next_at), wait)
    _record(webhooks, delivery, attempt, PENDING, sent.code, sent.reason, next_at, done)
    return "retrying"


def _record(
    webhooks: WebhookStore,
    delivery: Delivery,
    attempt: int,
    status: str,
    code: int | None,
    reason: str | None,
    next_attempt_at: datetime | None,
    now: datetime,
) -> None:
    webhooks.record(
        delivery,
        delivery.round,
        attempt,
        status=status,
        code=code,
        reason=reason,
        next_attempt_at=next_attempt_at,
        now=now,
    )
