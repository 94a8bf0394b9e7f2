"""Where events go out: the brand's EventBridge bus, and a dead-letter queue for stream records
that cannot be turned into events."""

from __future__ import annotations

import json
from typing import Any

from msgspec import Struct

from ..domain.errors import Unavailable
from .unit_of_work import UNAVAILABLE

BATCH = 10  # PutEvents takes at most ten entries


class EventBus(Struct):
    """`name` None: no bus configured (local trying): events are kept, not sent anywhere."""

    name: str | None
    source: str
    region: str
    _client: Any = None  # made on first use

    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("events", region_name=self.region)
        return self._client

    def put(self, entries: list[tuple[str, str]]) -> list[int]:
        """Send (detail-type, detail JSON) entries, ten at most; returns the indexes that failed."""
        assert len(entries) <= BATCH
        if self.name is None or not entries:
            return []
        try:
            answer = self.client().put_events(
                Entries=[
                    {
                        "Source": self.source,
                        "DetailType": detail_type,
                        "Detail": detail,
                        "EventBusName": self.name,
                    }
                    for detail_type, detail in entries
                ]
            )
        except Exception as exc:
            raise Unavailable(UNAVAILABLE) from exc
        return [i for i, entry in enumerate(answer.get("Entries", [])) if entry.get("ErrorCode")]


class DeadLetters(Struct):
    """`url` None: nowhere to park a poison record but the log."""

    url: str | None
    region: str
    _client: Any = None  # made on first use

    def park(self, record: dict[str, Any], reason: str) -> bool:
        if self.url is None:
            return False
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs", region_name=self.region)
        body = json.dumps({"reason": reason, "record": record}, default=str)
        try:
            self._client.send_message(QueueUrl=self.url, MessageBody=body)
        except Exception as exc:
            raise Unavailable(UNAVAILABLE) from exc
        return True
