"""Webhook endpoints and their deliveries."""

from datetime import datetime
from typing import Literal

from msgspec.structs import asdict
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from ..domain.outcomes import Deliveries
from ..domain.webhooks import Delivery, Endpoint
from .common import Request, Response


class WebhookCreate(Request):
    url: str = Field(
        max_length=2048,
        description="https:// (plain http only to this machine when trying locally); must not "
        "resolve to a loopback, link-local, metadata or private address",
    )
    events: list[str] = Field(
        min_length=1, max_length=64, description='event types to send, or ["*"] for every type'
    )
    description: str = Field("", max_length=500)


class WebhookUpdate(Request):
    url: str | None = Field(None, max_length=2048)
    events: list[str] | None = Field(None, min_length=1, max_length=64)
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = Field(None, description="false: no new deliveries; true: again")


class WebhookOut(Response):
    webhook_id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    old_secret_until: datetime | None = Field(
        description="after a rotation, the old secret signs beside the new one until then"
    )
    created_at: datetime
    updated_at: datetime


class WebhookSecretOut(WebhookOut):
    secret: str = Field(
        description="whsec_ + base64 of 32 random bytes; shown once (at create and rotation), "
        "give it to a Standard Webhooks library to verify deliveries"
    )


class WebhookList(Response):
    webhooks: list[WebhookOut]


class DeliveryOut(Response):
    delivery_id: str
    webhook_id: str
    event_id: str = Field(description="the webhook-id header of every attempt")
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int = Field(description="attempts made in this round (a redelivery starts one)")
    round: int
    last_code: int | None = Field(description="the receiver's last HTTP status, if any")
    last_reason: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DeliveryPage(Response):
    deliveries: list[DeliveryOut]
    next_cursor: str | None


class DeliveryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    status: Literal["pending", "delivered", "failed"] | None = None
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=128)


class WebhookDeleted(Response):
    webhook_id: str
    deleted: bool


# -- presenters --------------------------------------------------------------------------------


def webhook_out(endpoint: Endpoint) -> WebhookOut:
    return WebhookOut(
        webhook_id=endpoint.webhook_id,
        url=endpoint.url,
        events=list(endpoint.events),
        description=endpoint.description,
        enabled=endpoint.enabled,
        old_secret_until=endpoint.old_secret_until,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def webhook_secret_out(endpoint: Endpoint) -> WebhookSecretOut:
    """The secret as the endpoint keeps it (sealed): the route opens it on the way out, so the
    first answer an Idempotency-Key keeps never holds it in the clear."""
    return WebhookSecretOut(**webhook_out(endpoint).model_dump(), secret=endpoint.secret)


def webhook_list(found: list[Endpoint]) -> WebhookList:
    return WebhookList(webhooks=[webhook_out(e) for e in found])


def deleted_out(webhook_id: str) -> WebhookDeleted:
    return WebhookDeleted(webhook_id=webhook_id, deleted=True)


def delivery_out(delivery: Delivery) -> DeliveryOut:
    return DeliveryOut.model_validate(asdict(delivery))


def delivery_page(found: Deliveries) -> DeliveryPage:
    return DeliveryPage(
        deliveries=[delivery_out(d) for d in found.deliveries], next_cursor=found.next_cursor
    )
