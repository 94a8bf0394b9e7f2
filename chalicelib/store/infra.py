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
    ttl = {"AttributeName": Item.ttl.attr_name, "Enabled": True}
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
                    "TimeToLiveSpecification": ttl,
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                    "SSESpecification": {"SSEEnabled": True},
                },
            }
        },
        "Outputs": {"TableName": {"Value": {"Ref": "LoyaltyTable"}}},
    }
