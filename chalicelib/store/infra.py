"""The table's CloudFormation, derived from the PynamoDB models so the two never drift."""

from __future__ import annotations

from typing import Any

from .models import BirthdayIndex, DormancyIndex, DueIndex, Item


def table_template() -> dict[str, Any]:
    key_attrs = ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"]
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
                    "GlobalSecondaryIndexes": [
                        {
                            "IndexName": index.Meta.index_name,
                            "KeySchema": [
                                {"AttributeName": f"{index.Meta.index_name}pk", "KeyType": "HASH"},
                                {
                                    "AttributeName": f"{index.Meta.index_name}sk",
                                    "KeyType": "RANGE",
                                },
                            ],
                            "Projection": {"ProjectionType": "ALL"},
                        }
                        for index in (DueIndex, BirthdayIndex, DormancyIndex)
                    ],
                    "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                    "SSESpecification": {"SSEEnabled": True},
                },
            }
        },
        "Outputs": {"TableName": {"Value": {"Ref": "LoyaltyTable"}}},
    }


def _gateway_error(code: str, error_type: str, status: str) -> dict[str, Any]:
    # API Gateway answers for the authorizer; this gives those answers the API's error shape.
    body = (
        f'{{"error":{{"type":"{error_type}","code":"{code}",'
        '"message":$context.error.messageString,"param":"Authorization"}}'
    )
    return {
        "Type": "AWS::ApiGateway::GatewayResponse",
        "Properties": {
            "RestApiId": {"Ref": "RestAPI"},
            "ResponseType": {"401": "UNAUTHORIZED", "403": "ACCESS_DENIED"}[status],
            "StatusCode": status,
            "ResponseTemplates": {"application/json": body},
        },
    }


def merge_template(table_name: str, brand: str) -> dict[str, Any]:
    """What `chalice package` merges into its output for one brand stack: the table under the
    name the functions are configured with, the brand's PII key from Secrets Manager (never in
    config files), and API Gateway's own 401/403 answers in the API's error shape."""
    template = table_template()
    template["Resources"]["LoyaltyTable"]["Properties"]["TableName"] = table_name
    secret = {"LOYALTY_PII_KEY": f"{{{{resolve:secretsmanager:loyalty/{brand}/pii-key}}}}"}
    for function in ("APIHandler", "ApiKeyAuth"):
        template["Resources"][function] = {
            "Properties": {"Environment": {"Variables": secret}, "Timeout": 10, "MemorySize": 512}
        }
    template["Resources"]["UnauthorizedResponse"] = _gateway_error(
        "unauthenticated", "authentication_error", "401"
    )
    template["Resources"]["ForbiddenResponse"] = _gateway_error(
        "forbidden", "authentication_error", "403"
    )
    return template
