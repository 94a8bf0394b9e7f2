"""The stream consumer: the events a batch of stream records carries, kept and published once.

For each record, its events (see `derive`); a record that cannot be read is parked in the
dead-letter queue with its reason and the batch goes on. Each event is kept (30 days, for
pulling) unless it was published already, which makes a redelivered batch publish nothing twice;
then the rest go to EventBridge ten at a time, and only the entries PutEvents reports as failed
are sent again. Whatever still fails raises, so the stream delivers the batch again (the events
already published are skipped then).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from msgspec import Struct, field

from ..contract.events import EventOut
from ..store.bus import BATCH, DeadLetters, EventBus
from ..store.events import EventStore
from ..store.stream import Change, change_of
from .derive import Derived, events_of

log = logging.getLogger("loyalty.events")
ATTEMPTS = 4


class NotPublished(Exception):
    """Some events could not be put on the bus after every attempt: deliver the batch again."""


class Report(Struct):
    records: int = 0
    events: int = 0
    published: int = 0
    already: int = 0
    parked: int = 0
    retried: int = 0
    deliveries: int = 0
    failed: list[str] = field(default_factory=list)


def envelope(brand: str, event: dict[str, Any]) -> str:
    return EventOut(brand=brand, **event).model_dump_json()


def handle(
    records: Iterable[dict[str, Any]],
    *,
    brand: str,
    events: EventStore,
    bus: EventBus,
    dead_letters: DeadLetters,
    backoff: Callable[[int], None] = lambda attempt: None,
    deliveries: Callable[[list[tuple[str, str]]], int] | None = None,
    aggregate: Callable[[list[Change]], object] | None = None,
) -> Report:
    """`aggregate` keeps what the batch's changes add to the figures across members, first:
    if it fails, the batch comes again (it must change nothing the second time)."""
    report = Report()
    pending: list[tuple[str, str, str]] = []  # id, type, envelope
    read: list[tuple[Change, list[Derived]]] = []
    for record in records:
        report.records += 1
        try:
            change = change_of(record)
            derived = events_of(change)
        except Exception as exc:  # a poison record must not block the shard
            reason = f"{type(exc).__name__}: {exc}"
            parked = dead_letters.park(record, reason)
            report.parked += 1
            log.error("stream record not readable (%s); parked: %s", reason, parked)
            continue
        read.append((change, derived))
    if aggregate is not None:
        aggregate([change for change, _ in read])
    for _, derived in read:
        for event in derived:
            report.events += 1
            body = envelope(brand, event)
            if events.keep(event["id"], event["type"], event["member_id"], body):
                pending.append((event["id"], event["type"], body))
            else:
                report.already += 1
    if deliveries is not None and pending:
        # Before the events are marked published: a batch that dies here comes again, and the
        # deliveries already made are not made twice.
        report.deliveries = deliveries([(event_id, kind) for event_id, kind, _ in pending])
    for start in range(0, len(pending), BATCH):
        _publish(pending[start : start + BATCH], events, bus, backoff, report)
    if report.failed:
        raise NotPublished(f"{len(report.failed)} events not accepted by the bus: {report.failed}")
    return report


def _publish(
    batch: list[tuple[str, str, str]],
    events: EventStore,
    bus: EventBus,
    backoff: Callable[[int], None],
    report: Report,
) -> None:
    left = batch
    for attempt in range(ATTEMPTS):
        if attempt:
            backoff(attempt)
            report.retried += len(left)
        failed = set(bus.put([(kind, body) for _, kind, body in left]))
        for i, (event_id, _, _) in enumerate(left):
            if i not in failed:
                events.mark_published(event_id)
                report.published += 1
        left = [entry for i, entry in enumerate(left) if i in failed]
        if not left:
            return
    report.failed += [event_id for event_id, _, _ in left]


def parse(body: str) -> EventOut:
    return EventOut.model_validate(json.loads(body))
