"""Webhook endpoints and their deliveries (admin), Standard Webhooks 1.0."""

import re

from ..contract.common import as_json
from ..contract.webhooks import (
    DeliveryOut,
    DeliveryPage,
    DeliveryQuery,
    WebhookCreate,
    WebhookList,
    WebhookOut,
    WebhookSecretOut,
    WebhookUpdate,
    deleted_out,
    delivery_out,
    delivery_page,
    webhook_list,
    webhook_out,
    webhook_secret_out,
)
from ..domain.errors import DeliveryNotFound, WebhookNotFound
from ..services import webhooks
from ..services.deps import deps
from ..services.shared.writes import Answer
from .http import Call, endpoint

WEBHOOK_ID = re.compile(r"^wh_[0-9A-Z]{26}$")


def _webhook(webhook_id: str) -> str:
    # A malformed id is simply an unknown endpoint: same answer, and it never reaches DynamoDB
    # (whose keys have a length limit a path does not).
    if not WEBHOOK_ID.match(webhook_id):
        raise WebhookNotFound(f"no webhook {webhook_id[:40]}", param="webhook_id")
    return webhook_id


def _delivery(delivery_id: str) -> str:
    if len(delivery_id) > 200 or not delivery_id.startswith("dlv_"):
        raise DeliveryNotFound(f"no delivery {delivery_id[:40]}", param="delivery_id")
    return delivery_id


W = "/v1/admin/webhooks"
ONE = W + "/{webhook_id}"


@endpoint(
    W,
    "POST",
    operation="createWebhook",
    summary="Register a webhook endpoint; the answer shows its signing secret, once",
    scope="admin",
    body=WebhookCreate,
    response=WebhookSecretOut,
    status=201,
)
def create_webhook(call: Call) -> Answer:
    d = deps()
    return webhooks.reveal(d, webhooks.create(d, call.body, call.idem, as_json(webhook_secret_out)))


@endpoint(
    W,
    "GET",
    operation="listWebhooks",
    summary="Every webhook endpoint",
    scope="admin",
    response=WebhookList,
)
def list_webhooks(call: Call) -> WebhookList:
    return webhook_list(webhooks.list_all(deps()))


@endpoint(
    ONE,
    "GET",
    operation="getWebhook",
    summary="One webhook endpoint",
    scope="admin",
    response=WebhookOut,
    errors=(404,),
)
def get_webhook(call: Call, webhook_id: str) -> WebhookOut:
    return webhook_out(webhooks.get(deps(), _webhook(webhook_id)))


@endpoint(
    ONE,
    "PATCH",
    operation="updateWebhook",
    summary="Change an endpoint's URL, events, description, or enable or disable it",
    scope="admin",
    body=WebhookUpdate,
    response=WebhookOut,
    errors=(404, 409),
)
def update_webhook(call: Call, webhook_id: str) -> Answer:
    return webhooks.update(deps(), _webhook(webhook_id), call.body, call.idem, as_json(webhook_out))


@endpoint(
    ONE + "/disable",
    "POST",
    operation="disableWebhook",
    summary="Stop deliveries to an endpoint (PATCH enabled: true starts them again)",
    scope="admin",
    response=WebhookOut,
    errors=(404, 409),
)
def disable_webhook(call: Call, webhook_id: str) -> Answer:
    disable = WebhookUpdate(enabled=False)
    return webhooks.update(deps(), _webhook(webhook_id), disable, call.idem, as_json(webhook_out))


@endpoint(
    ONE,
    "DELETE",
    operation="deleteWebhook",
    summary="Remove an endpoint and its secrets",
    scope="admin",
    errors=(404, 409),
)
def delete_webhook(call: Call, webhook_id: str) -> Answer:
    return webhooks.delete(deps(), _webhook(webhook_id), call.idem, as_json(deleted_out))


@endpoint(
    ONE + "/rotate-secret",
    "POST",
    operation="rotateWebhookSecret",
    summary="A new signing secret, shown once; the old one also signs for 24 hours",
    scope="admin",
    response=WebhookSecretOut,
    errors=(404, 409),
)
def rotate_secret(call: Call, webhook_id: str) -> Answer:
    d = deps()
    rotated = webhooks.rotate(d, _webhook(webhook_id), call.idem, as_json(webhook_secret_out))
    return webhooks.reveal(d, rotated)


@endpoint(
    ONE + "/deliveries",
    "GET",
    operation="listWebhookDeliveries",
    summary="An endpoint's deliveries, newest first: status, attempts, last code, next attempt",
    scope="admin",
    query=DeliveryQuery,
    response=DeliveryPage,
    errors=(404,),
)
def list_deliveries(call: Call, webhook_id: str) -> DeliveryPage:
    return delivery_page(webhooks.deliveries(deps(), _webhook(webhook_id), call.query))


@endpoint(
    ONE + "/deliveries/{delivery_id}/redeliver",
    "POST",
    operation="redeliverWebhook",
    summary="Deliver an event again from a first attempt, with the same webhook-id",
    scope="admin",
    response=DeliveryOut,
    errors=(404, 409),
)
def redeliver(call: Call, webhook_id: str, delivery_id: str) -> Answer:
    return webhooks.redeliver(
        deps(), _webhook(webhook_id), _delivery(delivery_id), call.idem, as_json(delivery_out)
    )
