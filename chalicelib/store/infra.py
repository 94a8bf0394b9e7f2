"""The table's CloudFormation, derived from the PynamoDB models so the two never drift."""

from __future__ import annotations

from typing import Any

from .models import Item


def _indexes() -> list[dict[str, Any]]:
    """Every secondary index the models declare: name, keys and projection."""
    rendered = []
    for index in sorted(Item._indexes.values(), key=lambda i: i.Meta.index_name):
        hash_key, range_key = index.Meta.attributes.values()
        projection: dict[str, Any] = {"ProjectionType": index.Meta.projection.projection_type}
        include = getattr(index.Meta.projection, "non_key_attributes", None)
        if include:
            projection["NonKeyAttributes"] = list(include)
        rendered.append(
            {
                "IndexName": index.Meta.index_name,
                "KeySchema": [
                    {"AttributeName": hash_key.attr_name, "KeyType": "HASH"},
                    {"AttributeName": range_key.attr_name, "KeyType": "RANGE"},
                ],
                "Projection": projection,
            }
        )
    return rendered


def table_template() -> dict[str, Any]:
    indexes = _indexes()
    key_attrs = [Item.pk.attr_name, Item.sk.attr_name] + [
        key["AttributeName"] for index in indexes for key in index["KeySchema"]
    ]
    return {
        "Resources": {
            "LoyaltyTable": {
                "Type": "AWS::DynamoDB::Table",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [
                        {"AttributeName": name, "AttributeType": "S"} for name in key_attrs
                    ],
                    "KeySchema": [
                        {"AttributeName": Item.pk.attr_name, "KeyType": "HASH"},
                        {"AttributeName": Item.sk.attr_name, "KeyType": "RANGE"},
                    ],
                    "GlobalSecondaryIndexes": indexes,
                    "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                    "SSESpecification": {"SSEEnabled": True},
                },
            }
        },
        "Outputs": {"TableName": {"Value": {"Ref": "LoyaltyTable"}}},
    }


def _gateway_error(
    response_type: str, status: str, code: str, error_type: str, param: str | None
) -> dict[str, Any]:
    """API Gateway answers some requests itself (the authorizer's refusals, unknown paths,
    throttling, timeouts): this gives those answers the API's error shape too."""
    param_json = f'"{param}"' if param else "null"
    body = (
        f'{{"error":{{"type":"{error_type}","code":"{code}",'
        f'"message":$context.error.messageString,"param":{param_json},'
        '"request_id":"$context.requestId"}}'
    )
    return {
        "Type": "AWS::ApiGateway::GatewayResponse",
        "Properties": {
            "RestApiId": {"Ref": "RestAPI"},
            "ResponseType": response_type,
            "StatusCode": status,
            "ResponseTemplates": {"application/json": body},
        },
    }


GATEWAY_RESPONSES = {
    "UnauthorizedResponse": (
        "UNAUTHORIZED",
        "401",
        "unauthenticated",
        "authentication_error",
        "Authorization",
    ),
    "ForbiddenResponse": (
        "ACCESS_DENIED",
        "403",
        "forbidden",
        "authentication_error",
        "Authorization",
    ),
    "RouteNotFoundResponse": (
        "MISSING_AUTHENTICATION_TOKEN",
        "404",
        "route_not_found",
        "invalid_request_error",
        "path",
    ),
    "Default4xxResponse": ("DEFAULT_4XX", None, "invalid_request", "invalid_request_error", None),
    "Default5xxResponse": ("DEFAULT_5XX", None, "unavailable", "api_error", None),
}


def merge_template(table_name: str, brand: str) -> dict[str, Any]:
    """What `chalice package` merges into its output for one brand stack: the table under the
    name the functions are configured with, the brand's PII key from Secrets Manager (never in
    config files), and API Gateway's own 401/403 answers in the API's error shape."""
    template = table_template()
    template["Resources"]["LoyaltyTable"]["Properties"]["TableName"] = table_name
    secret = {"LOYALTY_PII_KEY": f"{{{{resolve:secretsmanager:loyalty/{brand}/pii-key}}}}"}
    queue = {"LOYALTY_WEBHOOK_QUEUE_URL": {"Ref": "WebhookDeliveriesQueue"}}
    for function, variables in (("APIHandler", {**secret, **queue}), ("ApiKeyAuth", secret)):
        template["Resources"][function] = {
            "Properties": {
                "Environment": {"Variables": variables},
                "Timeout": 10,
                "MemorySize": 512,
            }
        }
    _events(template, brand, {**secret, **queue})
    _webhooks(template, brand, {**secret, **queue})
    # The nightly jobs import the same app, which refuses to start without the brand's key.
    for function in SCHEDULED:
        template["Resources"][function] = {
            "Properties": {
                "Environment": {"Variables": {**secret, **queue}},
                "Timeout": JOB_SECONDS,
                "MemorySize": 512,
            }
        }
    for name, (response_type, status, code, error_type, param) in GATEWAY_RESPONSES.items():
        resource = _gateway_error(response_type, status or "", code, error_type, param)
        if status is None:  # the default responses keep the status API Gateway chose
            del resource["Properties"]["StatusCode"]
        template["Resources"][name] = resource
    return template


def _events(template: dict[str, Any], brand: str, secret: dict[str, Any]) -> None:
    """The brand's event bus, and the stream consumer fed by the table's stream: batches of 100,
    halved on error to isolate a bad record, retried for a day, then parked in its queue."""
    resources = template["Resources"]
    dlq_name = f"loyalty-{brand}-stream-dlq"
    resources["EventBus"] = {
        "Type": "AWS::Events::EventBus",
        "Properties": {"Name": f"loyalty-{brand}"},
    }
    resources["StreamDeadLetters"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": dlq_name,
            "MessageRetentionPeriod": 14 * 24 * 3600,
            "SqsManagedSseEnabled": True,
        },
    }
    resources["StreamEvents"] = {
        "Properties": {
            "Environment": {
                "Variables": {
                    **secret,
                    "LOYALTY_EVENT_BUS": {"Ref": "EventBus"},
                    "LOYALTY_STREAM_DLQ_URL": {"Ref": "StreamDeadLetters"},
                }
            },
            "Timeout": 60,
            "MemorySize": 512,
        }
    }
    resources["StreamEventsSource"] = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {
            "EventSourceArn": {"Fn::GetAtt": ["LoyaltyTable", "StreamArn"]},
            "FunctionName": {"Ref": "StreamEvents"},
            "StartingPosition": "TRIM_HORIZON",
            "BatchSize": 100,
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 50,
            "MaximumRecordAgeInSeconds": 86400,
            "DestinationConfig": {
                "OnFailure": {"Destination": {"Fn::GetAtt": ["StreamDeadLetters", "Arn"]}}
            },
        },
    }


def _webhooks(template: dict[str, Any], brand: str, variables: dict[str, Any]) -> None:
    """The queue where delivery attempts wait (SQS delays a message 15 minutes at most; longer
    waits hop), its sender function, and a dead-letter queue for messages that keep failing."""
    resources = template["Resources"]
    resources["WebhookDeadLetters"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": f"loyalty-{brand}-webhooks-dlq",
            "MessageRetentionPeriod": 14 * 24 * 3600,
            "SqsManagedSseEnabled": True,
        },
    }
    resources["WebhookDeliveriesQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": f"loyalty-{brand}-webhooks",
            # six times the function's timeout, as Lambda advises for an SQS source
            "VisibilityTimeout": 6 * WEBHOOK_FUNCTION_SECONDS,
            "MessageRetentionPeriod": 4 * 24 * 3600,
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": ["WebhookDeadLetters", "Arn"]},
                "maxReceiveCount": 10,
            },
        },
    }
    resources["WebhookDeliveries"] = {
        "Properties": {
            "Environment": {"Variables": variables},
            "Timeout": WEBHOOK_FUNCTION_SECONDS,
            "MemorySize": 256,
        }
    }
    resources["WebhookDeliveriesSource"] = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {
            "EventSourceArn": {"Fn::GetAtt": ["WebhookDeliveriesQueue", "Arn"]},
            "FunctionName": {"Ref": "WebhookDeliveries"},
            "BatchSize": WEBHOOK_BATCH,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    }


WEBHOOK_BATCH = 5
# Each attempt may wait 15 s for its receiver: a batch of 5 in turn, and some slack.
WEBHOOK_FUNCTION_SECONDS = 90

SCHEDULED = ("Nightly",)
JOB_SECONDS = 900  # a night stops cleanly before this and invokes itself to go on
