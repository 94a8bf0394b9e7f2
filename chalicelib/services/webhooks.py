"""Use cases of webhook endpoints, as the admin writes them: create, read, update, disable,
delete, rotate the secret; the deliveries of an endpoint, and delivering one again.

A secret is shown once, at create and at rotation. The first answer of those two is kept for
Idempotency-Key replays like every write's, with the secret in it sealed (as on the endpoint);
`reveal` opens it on the way out, for the first answer and its replays alike."""

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from msgspec.structs import replace

from ..contract.webhooks import DeliveryQuery, WebhookCreate, WebhookUpdate
from ..domain.errors import (
    DeliveryNotFound,
    UrlNotAllowed,
    ValidationFailed,
    WebhookNotFound,
)
from ..domain.outcomes import Deliveries
from ..domain.webhooks import ALL, OLD_SECRET_HOURS, SECRET_BYTES, new_secret
from ..events.derive import SUMMARIES
from ..store.delivery_queue import DeliveryQueue
from ..store.sealed import open_sealed, seal
from ..store.webhooks import PENDING, Delivery, Endpoint, WebhookStore
from ..webhooks.delivery import message
from ..webhooks.sender import HttpSender
from .shared import writes
from .shared.writes import Answer, Idem, Present, run_write, stage_answer


class Needs(writes.Needs, Protocol):
    delivery_queue: DeliveryQueue
    sender: HttpSender
    webhooks: WebhookStore

    @property
    def new_id(self) -> Callable[[datetime], str]: ...
    @property
    def pii_key(self) -> bytes: ...
    @property
    def random_bytes(self) -> Callable[[int], bytes]: ...


def _check_url(d: Needs, url: str) -> None:
    problem = d.sender.problem(url)
    if problem:
        raise UrlNotAllowed(f"url: {problem}", param="url")


def _check_events(events: list[str]) -> tuple[str, ...]:
    for i, name in enumerate(events):
        if name != ALL and name not in SUMMARIES:
            known = ", ".join(sorted(SUMMARIES))
            raise ValidationFailed(
                f"events.{i}: {name!r} is not an event type (known: {known}, or *)",
                param=f"events.{i}",
            )
    return tuple(dict.fromkeys(events))


def require(d: Needs, webhook_id: str) -> Endpoint:
    found = d.webhooks.get(webhook_id)
    if found is None:
        raise WebhookNotFound(f"no webhook {webhook_id}", param="webhook_id")
    return found


def reveal(d: Needs, answer: Answer) -> Answer:
    """The answer with its sealed secret opened (create and rotate)."""
    body = json.loads(answer.body)
    body["secret"] = open_sealed(d.pii_key, body["secret"], body["webhook_id"])
    opened = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Answer(opened, answer.created, answer.replayed, answer.home)


def create(d: Needs, body: WebhookCreate, idem: Idem | None, present: Present[Endpoint]) -> Answer:
    """`present` shows the secret sealed (as the first answer keeps it): `reveal` opens it."""
    events = _check_events(body.events)
    _check_url(d, body.url)

    def attempt() -> Answer:
        now = d.clock()
        webhook_id = "wh_" + d.new_id(now)
        secret = new_secret(d.random_bytes(SECRET_BYTES))
        endpoint = Endpoint(
            webhook_id=webhook_id,
            url=body.url,
            events=events,
            description=body.description,
            enabled=True,
            secret=seal(d.pii_key, secret, webhook_id),
            old_secret=None,
            old_secret_until=None,
            version=1,
            created_at=now,
            updated_at=now,
        )
        uow = d.uow()
        d.webhooks.stage_save(uow, endpoint, previous_version=None)
        answer = stage_answer(d, uow, idem, Answer(present(endpoint), created=True))
        uow.commit()
        return answer

    return run_write(d, idem, attempt)


def rotate(d: Needs, webhook_id: str, idem: Idem | None, present: Present[Endpoint]) -> Answer:
    """A new secret; the old one keeps signing beside it for 24 hours."""

    def attempt() -> Answer:
        endpoint = require(d, webhook_id)
        now = d.clock()
        secret = new_secret(d.random_bytes(SECRET_BYTES))
        rotated = replace(
            endpoint,
            secret=seal(d.pii_key, secret, webhook_id),
            old_secret=endpoint.secret,
            old_secret_until=now + timedelta(hours=OLD_SECRET_HOURS),
            version=endpoint.version + 1,
            updated_at=now,
        )
        uow = d.uow()
        d.webhooks.stage_save(uow, rotated, previous_version=endpoint.version)
        answer = stage_answer(d, uow, idem, Answer(present(rotated)))
        uow.commit()
        return answer

    return run_write(d, idem, attempt)


def update(
    d: Needs,
    webhook_id: str,
    body: WebhookUpdate,
    idem: Idem | None,
    present: Present[Endpoint],
) -> Answer:
    if not body.model_fields_set:
        raise ValidationFailed("send at least one of url, events, description, enabled")
    events = _check_events(body.events) if body.events is not None else None
    if body.url is not None:
        _check_url(d, body.url)

    def attempt() -> Answer:
        endpoint = require(d, webhook_id)
        now = d.clock()
        changed = replace(
            endpoint,
            url=endpoint.url if body.url is None else body.url,
            events=endpoint.events if events is None else events,
            description=endpoint.description if body.description is None else body.description,
            enabled=endpoint.enabled if body.enabled is None else body.enabled,
            version=endpoint.version + 1,
            updated_at=now,
        )
        uow = d.uow()
        d.webhooks.stage_save(uow, changed, previous_version=endpoint.version)
        answer = stage_answer(d, uow, idem, Answer(present(changed)))
        uow.commit()
        return answer

    return run_write(d, idem, attempt)


def delete(d: Needs, webhook_id: str, idem: Idem | None, present: Present[str]) -> Answer:
    """Gone, with its secrets; deliveries under way are parked as failed when next tried."""

    def attempt() -> Answer:
        endpoint = require(d, webhook_id)
        uow = d.uow()
        d.webhooks.stage_delete(uow, endpoint)
        answer = stage_answer(d, uow, idem, Answer(present(webhook_id)))
        uow.commit()
        return answer

    return run_write(d, idem, attempt)


def get(d: Needs, webhook_id: str) -> Endpoint:
    return require(d, webhook_id)


def list_all(d: Needs) -> list[Endpoint]:
    return d.webhooks.all()


def deliveries(d: Needs, webhook_id: str, query: DeliveryQuery) -> Deliveries:
    require(d, webhook_id)
    if query.cursor is not None and not query.cursor.startswith("dlv_"):
        raise ValidationFailed("cursor is not one this API returned", param="cursor")
    found: list[Delivery] = []
    more = False
    for delivery in d.webhooks.deliveries(webhook_id, query.cursor):
        if query.status and delivery.status != query.status:
            continue
        if len(found) == query.limit:
            more = True
            break
        found.append(delivery)
    return Deliveries(found, found[-1].delivery_id if more else None)


def redeliver(
    d: Needs, webhook_id: str, delivery_id: str, idem: Idem | None, present: Present[Delivery]
) -> Answer:
    """Deliver the event again from a first attempt, with the same `webhook-id`."""
    require(d, webhook_id)

    def attempt() -> Answer:
        delivery = d.webhooks.delivery(webhook_id, delivery_id)
        if delivery is None:
            raise DeliveryNotFound(f"no delivery {delivery_id}", param="delivery_id")
        now = d.clock()
        again = replace(
            delivery,
            status=PENDING,
            round=delivery.round + 1,
            attempts=0,
            next_attempt_at=now,
            updated_at=now,
        )
        uow = d.uow()
        d.webhooks.stage_restart(uow, delivery, now)
        answer = stage_answer(d, uow, idem, Answer(present(again)))
        # Queued first: if the write then fails, the message finds no such round and is dropped.
        d.delivery_queue.send(message(again, 1, now), timedelta())
        uow.commit()
        return answer

    return run_write(d, idem, attempt)
