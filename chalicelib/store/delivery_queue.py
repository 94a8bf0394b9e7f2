"""Where delivery attempts wait their turn: SQS in AWS, a timer heap in the local server.

A message names one attempt: `{"webhook_id", "delivery_id", "round", "attempt", "not_before"}`.
SQS delays a message 15 minutes at most, so a longer wait is made of hops: the worker that gets
a message early sends it on again with what is left of the wait."""

import heapq
import itertools
import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..domain.errors import Unavailable
from .unit_of_work import UNAVAILABLE

MAX_SQS_DELAY = timedelta(minutes=15)


class DeliveryQueue(Protocol):
    def send(self, message: dict[str, Any], delay: timedelta) -> None: ...


class SqsDeliveries:
    def __init__(self, url: str, region: str) -> None:
        self.url = url
        self.region = region
        self._client: Any = None

    def send(self, message: dict[str, Any], delay: timedelta) -> None:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs", region_name=self.region)
        seconds = int(min(max(delay, timedelta()), MAX_SQS_DELAY).total_seconds())
        try:
            self._client.send_message(
                QueueUrl=self.url, MessageBody=json.dumps(message), DelaySeconds=seconds
            )
        except Exception as exc:
            raise Unavailable(UNAVAILABLE) from exc


class LocalDeliveries:
    """The local server's queue: messages wait in a heap until due, then `work` takes them on
    a thread of its own (`start`); without `start` (tests) `due` hands them out by hand."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._heap: list[tuple[datetime, int, dict[str, Any]]] = []
        self._order = itertools.count()
        self._lock = threading.Condition()

    def send(self, message: dict[str, Any], delay: timedelta) -> None:
        with self._lock:
            due = self.clock() + max(delay, timedelta())
            heapq.heappush(self._heap, (due, next(self._order), message))
            self._lock.notify()

    def due(self, until: datetime | None = None) -> list[dict[str, Any]]:
        """Take every message due by `until` (default: now)."""
        until = until or self.clock()
        taken = []
        with self._lock:
            while self._heap and self._heap[0][0] <= until:
                taken.append(heapq.heappop(self._heap)[2])
        return taken

    def waiting(self) -> list[tuple[datetime, dict[str, Any]]]:
        with self._lock:
            return sorted(((due, m) for due, _, m in self._heap), key=lambda entry: entry[0])

    def start(self, work: Callable[[dict[str, Any]], None], stopping: threading.Event) -> None:
        def loop() -> None:
            while not stopping.is_set():
                for message in self.due():
                    try:
                        work(message)
                    except Exception as exc:  # keep delivering; the message is retried
                        print(f"webhooks: {type(exc).__name__}: {exc}", flush=True)
                        self.send(message, timedelta(seconds=5))
                with self._lock:
                    self._lock.wait(0.2)

        threading.Thread(target=loop, name="webhooks", daemon=True).start()
