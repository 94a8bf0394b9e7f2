"""The table's CloudFormation, derived from the PynamoDB models so the two never drift."""

from __future__ import annotations

from typing import Any

from .models import DueIndex, Item


def table_template() -> dict[str, Any]:
    key_attrs = ["pk", "sk", "gsi1pk", "gsi1sk"]
    index_meta = DueIndex.Meta
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
                            "IndexName": index_meta.index_name,
                            "KeySchema": [
                                {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                                {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                            ],
                            "Projection": {"ProjectionType": "ALL"},
                        }
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
