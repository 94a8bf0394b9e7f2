"""Webhook endpoints and their deliveries."""

from datetime import datetime
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

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
