"""DynamoDB's concurrency, over DynamoDB Local: what no local engine shows by itself.

DynamoDB Local (like moto) runs one transaction at a time, so a design that writes one shared
item in every transaction passes every test here and fails in the cloud at a few hundred writes a
second. This layer sits at botocore's wire (`Endpoint._send`: the request DynamoDB Local would
receive, the response it would send back), so the SDK's own parsing and retries see exactly what
they would see from DynamoDB, and it follows the rules of AWS's developer guide
(`../shared/LOCAL-AWS.md`):

- **Conflicts.** A `TransactWriteItems` or `TransactGetItems` holds each of its items from its
  start until its answer comes back, and at least `hold` seconds (15 ms: about what a
  transaction takes in the cloud; DynamoDB Local runs one at a time, so one that waits for
  others is in flight meanwhile, as it would be in DynamoDB). Another
  transaction that touches a held item is cancelled (`TransactionCanceledException`, reason
  `TransactionConflict` on each item that was held, `None` on the others); a single
  `PutItem` / `UpdateItem` / `DeleteItem` on a held item fails with
  `TransactionConflictException`. Commutative ADDs are no exception. Reads outside transactions
  never conflict (they see what is committed).
- **Throttling.** Write units are counted per partition key over the last second: 1 WCU per
  started KB of the item written (2 in a transaction), the item's size taken from the write
  itself, or from the last write of it this layer saw (1 KB when it never saw one). A write that
  would take a partition past `partition_wcu` (1,000) is refused: `ThrottlingException` for a
  single write (the SDK retries it, as it retries DynamoDB's), `TransactionCanceledException`
  with `ThrottlingError` for a transaction.

What it does not model: the adaptive capacity that later splits a hot key range by sort key,
burst capacity, throttling of reads or of secondary indexes, the table-level limits of on-demand
(a new table's 4,000 WCU), and the exact duration of a transaction (a fixed hold instead).
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.endpoint import Endpoint

TARGET = "DynamoDB_20120810."
KB = 1024
Key = tuple[str, str, str]  # table, pk, sk


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def _response(request: Any, kind: str, message: str, **extra: Any) -> AWSResponse:
    body = json.dumps(
        {"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": message, **extra}
    ).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "conflicts"}
    return AWSResponse(request.url, 400, headers, _Raw(body))


def _value(attribute: dict[str, Any]) -> str:
    ((_, inner),) = attribute.items()
    return str(inner)


def _size(item: dict[str, Any]) -> int:
    from tests.bench.capacity import item_size

    return item_size(item)


class ConflictingEngine:
    """Install with `with engine.installed():`; `stats` counts what it did."""

    def __init__(
        self,
        hold: float = 0.015,
        partition_wcu: int = 1_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hold = hold
        self.partition_wcu = partition_wcu
        self.clock = clock
        self.lock = threading.Lock()
        self.held: dict[Key, tuple[int, float]] = {}  # key -> (transaction, until)
        self.sizes: dict[Key, int] = {}
        self.usage: dict[tuple[str, str], deque[tuple[float, int]]] = defaultdict(deque)
        self.ids = itertools.count(1)
        self.stats: Counter[str] = Counter()
        self.conflicts_by_pk: Counter[str] = Counter()  # the partition key's prefix: `TOTALS`, …
        self.throttled_by_pk: Counter[str] = Counter()

    # -- installing ------------------------------------------------------------------------

    @contextmanager
    def installed(self) -> Iterator[ConflictingEngine]:
        original = Endpoint._send
        engine = self

        def send(endpoint: Endpoint, request: Any) -> Any:
            target = request.headers.get("X-Amz-Target", b"")
            target = target.decode() if isinstance(target, bytes) else str(target)
            if not target.startswith(TARGET):
                return original(endpoint, request)
            operation = target[len(TARGET) :]
            params = json.loads(request.body or b"{}")
            refused = engine.admit(request, operation, params)
            if refused is not None:
                return refused
            try:
                return original(endpoint, request)
            finally:
                if operation in ("TransactWriteItems", "TransactGetItems"):
                    engine.finish(params)

        Endpoint._send = send  # type: ignore[method-assign]
        try:
            yield self
        finally:
            Endpoint._send = original  # type: ignore[method-assign]

    # -- the rules -------------------------------------------------------------------------

    def admit(self, request: Any, operation: str, params: dict[str, Any]) -> AWSResponse | None:
        """None to let the request through to the engine, or DynamoDB's refusal of it."""
        if operation in ("TransactWriteItems", "TransactGetItems"):
            return self._transaction(request, operation, params)
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            return self._single(request, params)
        return None

    def _transaction(self, request: Any, operation: str, params: dict[str, Any]) -> Any:
        actions = [next(iter(action.items())) for action in params["TransactItems"]]
        keys = [self._key(body) for _, body in actions]
        writes = operation == "TransactWriteItems"
        with self.lock:
            now = self.clock()
            self.stats["transactions"] += 1
            held = [self._held_by_other(key, now) for key in keys]
            if any(held):
                self.stats["transactions_cancelled"] += 1
                for key, conflict in zip(keys, held, strict=True):
                    if conflict:
                        self.conflicts_by_pk[self._prefix(key)] += 1
                reasons = [
                    {
                        "Code": "TransactionConflict",
                        "Message": "Transaction is ongoing for the item",
                    }
                    if conflict
                    else {"Code": "None"}
                    for conflict in held
                ]
                return _response(
                    request,
                    "TransactionCanceledException",
                    "Transaction cancelled, please refer cancellation reasons for specific "
                    f"reasons [{', '.join(r['Code'] for r in reasons)}]",
                    CancellationReasons=reasons,
                )
            if writes:
                units = [
                    (key, 2 * self._kb(key, body.get("Item")))
                    for key, (kind, body) in zip(keys, actions, strict=True)
                    if kind != "ConditionCheck"
                ]
                over = self._over(units, now)
                if over:
                    self.stats["transactions_throttled"] += 1
                    reasons = [
                        {
                            "Code": "ThrottlingError",
                            "Message": "Throughput exceeds the current "
                            "capacity of your table or index.",
                        }
                        if key in over
                        else {"Code": "None"}
                        for key in keys
                    ]
                    return _response(
                        request,
                        "TransactionCanceledException",
                        "Transaction cancelled, please refer cancellation reasons for specific "
                        f"reasons [{', '.join(r['Code'] for r in reasons)}]",
                        CancellationReasons=reasons,
                    )
                self._use(units, now)
            owner = next(self.ids)
            for key in keys:
                self.held[key] = (owner, now + self.hold)
            self.stats["transactions_admitted"] += 1
        return None

    def _single(self, request: Any, params: dict[str, Any]) -> Any:
        key = self._key(params)
        with self.lock:
            now = self.clock()
            self.stats["single_writes"] += 1
            if self._held_by_other(key, now):
                self.stats["single_writes_conflicted"] += 1
                self.conflicts_by_pk[self._prefix(key)] += 1
                return _response(
                    request,
                    "TransactionConflictException",
                    "Transaction is ongoing for the item",
                )
            units = [(key, self._kb(key, params.get("Item")))]
            if self._over(units, now):
                self.stats["single_writes_throttled"] += 1
                return _response(
                    request,
                    "ThrottlingException",
                    "Throughput exceeds the current capacity of your table or index.",
                )
            self._use(units, now)
        return None

    def finish(self, params: dict[str, Any]) -> None:
        """A transaction's answer came back: it held its items from its start until now, or
        for `hold`, whichever is longer (a transaction queued behind others in DynamoDB Local
        is still in flight while it waits, as it would be in DynamoDB)."""
        keys = [self._key(next(iter(action.values()))) for action in params["TransactItems"]]
        with self.lock:
            now = self.clock()
            for key in keys:
                found = self.held.get(key)
                if found is not None:
                    self.held[key] = (found[0], max(found[1], now))

    # -- bookkeeping -----------------------------------------------------------------------

    @staticmethod
    def _key(body: dict[str, Any]) -> Key:
        item = body.get("Item") or body["Key"]
        return (body["TableName"], _value(item["pk"]), _value(item["sk"]))

    @staticmethod
    def _prefix(key: Key) -> str:
        return key[1].split("#", 1)[0]

    def _held_by_other(self, key: Key, now: float) -> bool:
        found = self.held.get(key)
        if found is None:
            return False
        if found[1] <= now:
            del self.held[key]
            return False
        return True

    def _kb(self, key: Key, item: dict[str, Any] | None) -> int:
        if item is not None:
            self.sizes[key] = _size(item)
        return max(1, math.ceil(self.sizes.get(key, KB) / KB))

    def _over(self, units: list[tuple[Key, int]], now: float) -> set[Key]:
        """The keys whose partition would pass its write units in the last second."""
        wanted: Counter[tuple[str, str]] = Counter()
        for key, wcu in units:
            wanted[(key[0], key[1])] += wcu
        over = set()
        for partition, wcu in wanted.items():
            used = self.usage[partition]
            while used and used[0][0] <= now - 1.0:
                used.popleft()
            if sum(w for _, w in used) + wcu > self.partition_wcu:
                over |= {key for key, _ in units if (key[0], key[1]) == partition}
                self.throttled_by_pk[partition[1].split("#", 1)[0]] += 1
        return over

    def _use(self, units: list[tuple[Key, int]], now: float) -> None:
        for key, wcu in units:
            self.usage[(key[0], key[1])].append((now, wcu))
