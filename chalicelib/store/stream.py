"""DynamoDB stream records as the items they carry: the table's own models, before and after."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from msgspec import Struct

from .models import Item


class Change(Struct, frozen=True):
    """One stream record: `INSERT`, `MODIFY` or `REMOVE`, the item before and after it."""

    name: str
    old: Item | None
    new: Item | None
    sequence: str
    at: datetime  # when DynamoDB recorded the change (the same on every redelivery)


def change_of(record: dict[str, Any]) -> Change:
    """Raises on a record that is not one of this table's items (a poison record)."""
    body = record["dynamodb"]
    old, new = _item_image(body.get("OldImage")), _item_image(body.get("NewImage"))
    for image in (old, new):
        if image is not None and not {"pk", "sk", "type"} <= set(image):
            raise ValueError("not an item of this table (no pk, sk and type)")
    created = body.get("ApproximateCreationDateTime", 0)
    at = created if isinstance(created, datetime) else datetime.fromtimestamp(created, UTC)
    return Change(
        name=record["eventName"],
        old=Item.from_raw_data(old) if old else None,
        new=Item.from_raw_data(new) if new else None,
        sequence=str(body.get("SequenceNumber", "")),
        at=at.astimezone(UTC),
    )


KEYS = {"pk", "sk"}


def _item_image(image: dict[str, Any] | None) -> dict[str, Any] | None:
    """An image of the keys alone carries no item: moto records one (an INSERT of the bare keys)
    before the image of an ADD that creates a counter item; DynamoDB never does."""
    return None if image is not None and set(image) == KEYS else image
