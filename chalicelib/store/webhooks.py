"""Webhook endpoints and their deliveries.

Endpoints live in one small partition (`WEBHOOKS`); each endpoint's deliveries in eight of its
own (`WH#<id>#<shard of the delivery id>`: a busy endpoint is no hot partition), their ids
sorting by the event's time, so the newest come first in one merged read of the eight. A
delivery moves only by conditional writes: an attempt is claimed by raising `attempts` from the
number the queue message expects, so a message delivered twice by SQS is sent once."""

import heapq
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from ..domain.guards import Guard, Rule
from ..domain.webhooks import Delivery, Endpoint
from . import keys
from .models import DeliveryItem, WebhookItem
from .unit_of_work import UnitOfWork, dynamodb, get_or_none

KEEP_DAYS = 30
STALE_CLAIM = timedelta(minutes=2)  # longer than a delivery function runs
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def delivery_id_of(event_id: str) -> str:
    """`evt_<time>_<hash>` → `dlv_<time>_<hash>`: one delivery per event and endpoint (the
    endpoint is the partition), sorting by the event's time."""
    return "dlv_" + event_id.removeprefix("evt_")


def _endpoint(item: WebhookItem) -> Endpoint:
    return Endpoint(
        webhook_id=item.webhook_id,
        url=item.url,
        events=tuple(item.events or ()),
        description=item.description or "",
        enabled=bool(item.enabled),
        secret=item.secret,
        old_secret=item.old_secret,
        old_secret_until=item.old_secret_until,
        version=int(item.version),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _delivery(item: DeliveryItem) -> Delivery:
    return Delivery(
        delivery_id=item.delivery_id,
        webhook_id=item.webhook_id,
        event_id=item.event_id,
        event_type=item.event_type,
        status=item.status,
        attempts=int(item.attempts or 0),
        round=int(item.round or 1),
        last_code=None if item.last_code is None else int(item.last_code),
        last_reason=item.last_reason,
        next_attempt_at=item.next_attempt_at,
        delivered_at=item.delivered_at,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _webhook_item(endpoint: Endpoint) -> WebhookItem:
    return WebhookItem(
        pk=keys.WEBHOOKS_PK,
        sk=keys.webhook_sk(endpoint.webhook_id),
        webhook_id=endpoint.webhook_id,
        url=endpoint.url,
        events=list(endpoint.events),
        description=endpoint.description,
        enabled=endpoint.enabled,
        secret=endpoint.secret,
        old_secret=endpoint.old_secret,
        old_secret_until=endpoint.old_secret_until,
        version=endpoint.version,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


class WebhookStore:
    # -- endpoints ----------------------------------------------------------------------------

    def get(self, webhook_id: str) -> Endpoint | None:
        item = get_or_none(WebhookItem, keys.WEBHOOKS_PK, keys.webhook_sk(webhook_id))
        return None if item is None else _endpoint(item)

    def all(self) -> list[Endpoint]:
        with dynamodb():
            items = list(
                WebhookItem.query(keys.WEBHOOKS_PK, WebhookItem.sk.startswith(keys.WEBHOOK_PREFIX))
            )
        return sorted((_endpoint(i) for i in items), key=lambda e: e.created_at)

    def stage_save(
        self, uow: UnitOfWork, endpoint: Endpoint, *, previous_version: int | None
    ) -> None:
        """Create (`previous_version` None) or replace the endpoint as read."""
        item = _webhook_item(endpoint)
        if previous_version is None:
            uow.put(
                Guard(Rule.WEBHOOK_IS_NEW, endpoint.webhook_id),
                item,
                WebhookItem.pk.does_not_exist(),
            )
        else:
            uow.put(
                Guard(Rule.WEBHOOK_VERSION, endpoint.webhook_id),
                item,
                WebhookItem.version == previous_version,
            )

    def stage_delete(self, uow: UnitOfWork, endpoint: Endpoint) -> None:
        item = WebhookItem(pk=keys.WEBHOOKS_PK, sk=keys.webhook_sk(endpoint.webhook_id))
        uow.delete(
            Guard(Rule.WEBHOOK_VERSION, endpoint.webhook_id),
            item,
            WebhookItem.version == endpoint.version,
        )

    # -- deliveries ---------------------------------------------------------------------------

    def add_delivery(
        self, webhook_id: str, event_id: str, event_type: str, now: datetime
    ) -> tuple[Delivery, bool]:
        """The delivery of an event to an endpoint, made once; True if made by this call."""
        delivery_id = delivery_id_of(event_id)
        item = DeliveryItem(
            pk=keys.deliveries_pk(webhook_id, delivery_id),
            sk=keys.delivery_sk(delivery_id),
            delivery_id=delivery_id,
            webhook_id=webhook_id,
            event_id=event_id,
            event_type=event_type,
            status=PENDING,
            attempts=0,
            round=1,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
            ttl=int((now.astimezone(UTC) + timedelta(days=KEEP_DAYS)).timestamp()),
        )
        with dynamodb():
            try:
                item.save(condition=DeliveryItem.pk.does_not_exist())
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
                found = self.delivery(webhook_id, delivery_id)
                assert found is not None
                return found, False
        return _delivery(item), True

    def delivery(self, webhook_id: str, delivery_id: str) -> Delivery | None:
        item = get_or_none(
            DeliveryItem,
            keys.deliveries_pk(webhook_id, delivery_id),
            keys.delivery_sk(delivery_id),
        )
        return None if item is None else _delivery(item)

    def deliveries(self, webhook_id: str, before: str | None) -> Iterator[Delivery]:
        """Newest first; those before the delivery id `before` (a cursor)."""
        sk = keys.delivery_sk(before) if before else None
        condition = DeliveryItem.sk < sk if sk else DeliveryItem.sk.startswith(keys.DELIVERY_PREFIX)
        with dynamodb():
            shards = [
                DeliveryItem.query(pk, condition, scan_index_forward=False)
                for pk in keys.all_deliveries_pks(webhook_id)
            ]
            for item in heapq.merge(*shards, key=lambda found: str(found.sk), reverse=True):
                yield _delivery(item)

    def claim(self, delivery: Delivery, round_: int, attempt: int, now: datetime) -> bool:
        """Take attempt `attempt` of round `round_`, if no one has: False for a duplicate or
        stale message. An attempt claimed `STALE_CLAIM` ago and never recorded (its sender died
        on the way) may be taken again."""
        untaken = DeliveryItem.attempts == attempt - 1
        abandoned = (DeliveryItem.attempts == attempt) & (
            DeliveryItem.claimed_at < now - STALE_CLAIM
        )
        return self._update(
            delivery,
            [
                DeliveryItem.attempts.set(attempt),
                DeliveryItem.claimed_at.set(now),
                DeliveryItem.updated_at.set(now),
            ],
            (DeliveryItem.status == PENDING)
            & (DeliveryItem.round == round_)
            & (untaken | abandoned),
        )

    def record(
        self,
        delivery: Delivery,
        round_: int,
        attempt: int,
        *,
        status: str,
        code: int | None,
        reason: str | None,
        next_attempt_at: datetime | None,
        now: datetime,
    ) -> bool:
        """How attempt `attempt` went (status pending: another attempt at `next_attempt_at`)."""
        actions = [
            DeliveryItem.status.set(status),
            DeliveryItem.claimed_at.remove(),
            DeliveryItem.last_reason.set(reason) if reason else DeliveryItem.last_reason.remove(),
            DeliveryItem.updated_at.set(now),
        ]
        actions.append(
            DeliveryItem.last_code.set(code)
            if code is not None
            else DeliveryItem.last_code.remove()
        )
        if next_attempt_at is not None:
            actions.append(DeliveryItem.next_attempt_at.set(next_attempt_at))
        else:
            actions.append(DeliveryItem.next_attempt_at.remove())
        if status == DELIVERED:
            actions.append(DeliveryItem.delivered_at.set(now))
        return self._update(
            delivery,
            actions,
            (DeliveryItem.round == round_) & (DeliveryItem.attempts == attempt),
        )

    def stage_restart(self, uow: UnitOfWork, delivery: Delivery, now: datetime) -> None:
        """Deliver again from the first attempt, in a new round, whatever happened before."""
        item = DeliveryItem(
            pk=keys.deliveries_pk(delivery.webhook_id, delivery.delivery_id),
            sk=keys.delivery_sk(delivery.delivery_id),
        )
        uow.update(
            Guard(Rule.DELIVERY_ROUND, delivery.delivery_id),
            item,
            [
                DeliveryItem.status.set(PENDING),
                DeliveryItem.round.set(delivery.round + 1),
                DeliveryItem.attempts.set(0),
                DeliveryItem.claimed_at.remove(),
                DeliveryItem.next_attempt_at.set(now),
                DeliveryItem.updated_at.set(now),
            ],
            DeliveryItem.round == delivery.round,
        )

    def _update(self, delivery: Delivery, actions: Sequence[Action], condition: Condition) -> bool:
        item = DeliveryItem(
            pk=keys.deliveries_pk(delivery.webhook_id, delivery.delivery_id),
            sk=keys.delivery_sk(delivery.delivery_id),
        )
        with dynamodb():
            try:
                item.update(actions=list(actions), condition=condition & DeliveryItem.pk.exists())
            except UpdateError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise
        return True
