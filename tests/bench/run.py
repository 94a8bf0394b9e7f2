"""`make bench`: DynamoDB requests, capacity units and median latency per use case, in-process.

Requests are counted at the botocore boundary. moto's consumed-capacity figures are constants, so
capacity is computed from the item sizes the calls carry, by DynamoDB's published rules:
writes 1 WCU per KB (2 in a transaction) plus 1 per KB for each GSI whose key the item carries;
reads 0.5 RCU per 4 KB eventually consistent (2 per 4 KB in a transaction's condition check).
Query capacity is computed from the items returned (a filter's discarded items are not seen).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

for name, value in {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "LOYALTY_TABLE_NAME": "loyalty-bench",
    "LOYALTY_PII_KEY": "bench-pii-key-not-secret",
    # the tables, not a JSON line per request or an EMF line per flush
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
}.items():
    os.environ.setdefault(name, value)

from botocore.client import BaseClient  # noqa: E402

from . import capacity  # noqa: E402

WRU_PRICE = 0.625  # USD per million write request units, DynamoDB on-demand, us-east-1
RRU_PRICE = 0.125  # USD per million read request units
ROOT = Path(__file__).resolve().parents[2]


def _indexes() -> list[capacity.Index]:
    from chalicelib.store.models import Item

    return capacity.indexes_of(Item)


INDEXES = _indexes()
DEBUG = bool(os.environ.get("BENCH_DEBUG"))  # print every metered write
HISTORY = 200  # past purchases of the member whose reads must not cost more for it
REVIEW_SIZES = ((2_000, 300, 100), (10_000, 300, 100))  # members, tiered, dropping
EVENT_MEMBERS = 100
WEBHOOK_DELIVERIES = 300


def _shrink() -> None:
    """`--smoke`: each part at a size that runs in seconds."""
    global HISTORY, REVIEW_SIZES, EVENT_MEMBERS, WEBHOOK_DELIVERIES, NIGHTLY_SIZES
    global RECONCILE_MEMBERS
    HISTORY, REVIEW_SIZES, EVENT_MEMBERS, WEBHOOK_DELIVERIES = 5, ((200, 20, 5),), 5, 10
    NIGHTLY_SIZES, RECONCILE_MEMBERS = (300,), 10


@dataclass
class Meter:
    """Calls, computed capacity (see `capacity`) and, on DynamoDB Local, the engine's own."""

    calls: list[str] = field(default_factory=list)
    wcu: float = 0.0
    rcu: float = 0.0
    index_wcu: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    reported: float = 0.0  # DynamoDB Local's ConsumedCapacity (INDEXES), summed
    items_read: int = 0
    index_items: int = 0  # of items_read: keys read from a secondary index
    queries: int = 0  # of calls: queries of a secondary index
    kpi_wcu: float = 0.0  # of wcu: the merchant's figures (`KPI*` items)

    def add_writes(self, writes: list[capacity.Write], transactional: bool) -> None:
        for write in writes:
            if DEBUG:
                key = (write.new or write.old or {}).get("sk", {}).get("S")
                print(
                    f"  {key}: {capacity.item_size(write.old)} -> {capacity.item_size(write.new)}"
                    f" bytes, {write.base_units(transactional)} WCU"
                    f" {write.index_units(INDEXES)}"
                )
            self.wcu += write.base_units(transactional)
            if (write.new or write.old or {}).get("pk", {}).get("S", "").startswith("KPI"):
                self.kpi_wcu += write.base_units(transactional)
            for name, units in write.index_units(INDEXES).items():
                self.wcu += units
                self.index_wcu[name] += units

    def add_read(self, items: list[dict[str, Any]], *, per: float = 0.5) -> None:
        self.items_read += len(items)
        self.rcu += per * max(1, math.ceil(sum(map(capacity.item_size, items)) / 4096))

    def add_reported(self, result: dict[str, Any]) -> None:
        consumed = result.get("ConsumedCapacity") or []
        for part in consumed if isinstance(consumed, list) else [consumed]:
            self.reported += float(part.get("CapacityUnits", 0))


class Recorder:
    """Meters every DynamoDB call at the botocore boundary. To bill a write on the item before
    and after it, the items it touches are read around it (those reads are not metered)."""

    def __init__(self, engine: str) -> None:
        self.meter: Meter | None = None
        self.lock = threading.RLock()
        self.engine = engine

    def install(self) -> None:
        original = BaseClient._make_api_call
        recorder = self

        def recording(client: Any, operation: str, params: Any) -> Any:
            meter = recorder.meter
            service = client.meta.service_model.service_name
            if meter is None or service != "dynamodb":
                with recorder.lock:
                    answer = original(client, operation, params)
                if meter is not None and service != "sqs":
                    meter.calls.append(f"{service}:{operation}")
                return answer
            with recorder.lock:
                raw = lambda op, p: original(client, op, p)  # noqa: E731
                touched = _touched(operation, params)
                before = {key: _get(raw, table, key) for table, key in touched}
                if recorder.engine == "dynamodb-local" and operation in _REPORTING:
                    params = {**params, "ReturnConsumedCapacity": "INDEXES"}
                result = original(client, operation, params)
                after = {key: _get(raw, table, key) for table, key in touched}
                meter.calls.append(operation)
                meter.add_reported(result)
                _bill(meter, raw, operation, params, result, before, after)
            return result

        BaseClient._make_api_call = recording  # type: ignore[method-assign]


_REPORTING = {
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "GetItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
}


def _key_of(item: dict[str, Any]) -> tuple[str, str]:
    return (item["pk"]["S"], item["sk"]["S"])


def _touched(operation: str, params: dict[str, Any]) -> list[tuple[str, tuple[str, str]]]:
    """(table, key) of every item a write may change."""
    if operation in ("PutItem",):
        return [(params["TableName"], _key_of(params["Item"]))]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params["TableName"], _key_of(params["Key"]))]
    if operation == "TransactWriteItems":
        found = []
        for action in params["TransactItems"]:
            ((kind, body),) = action.items()
            if kind != "ConditionCheck":
                found.append((body["TableName"], _key_of(body.get("Item") or body["Key"])))
        return found
    if operation == "BatchWriteItem":
        return [
            (
                table,
                _key_of(
                    r["PutRequest"]["Item"] if "PutRequest" in r else r["DeleteRequest"]["Key"]
                ),
            )
            for table, requests in params["RequestItems"].items()
            for r in requests
        ]
    return []


def _get(raw: Callable[[str, dict[str, Any]], Any], table: str, key: tuple[str, str]) -> Any:
    found = raw(
        "GetItem",
        {
            "TableName": table,
            "Key": {"pk": {"S": key[0]}, "sk": {"S": key[1]}},
            "ConsistentRead": True,
        },
    )
    return found.get("Item")


def _bill(
    meter: Meter,
    raw: Callable[[str, dict[str, Any]], Any],
    operation: str,
    params: dict[str, Any],
    result: dict[str, Any],
    before: dict[tuple[str, str], Any],
    after: dict[tuple[str, str], Any],
) -> None:
    writes = [capacity.Write(before[key], after[key]) for key in before]
    if operation == "TransactWriteItems":
        meter.add_writes(writes, transactional=True)
        for action in params["TransactItems"]:
            if "ConditionCheck" in action:
                body = action["ConditionCheck"]
                meter.add_read([_get(raw, body["TableName"], _key_of(body["Key"])) or {}], per=2)
    elif writes:
        meter.add_writes(writes, transactional=False)
    elif operation == "GetItem":
        meter.add_read([result.get("Item") or {}], per=1.0 if params.get("ConsistentRead") else 0.5)
    elif operation == "Query":
        read = result.get("Items", [])
        if "FilterExpression" in params or "ProjectionExpression" in params:
            # billed on what the query read, before the filter and the projection
            unfiltered = {
                k: v
                for k, v in params.items()
                if k not in ("FilterExpression", "ProjectionExpression", "ReturnConsumedCapacity")
            }
            names = unfiltered.get("ExpressionAttributeNames")
            if names is not None:
                used = unfiltered.get("KeyConditionExpression", "")
                unfiltered["ExpressionAttributeNames"] = {
                    k: v for k, v in names.items() if k in used
                }
            values = unfiltered.get("ExpressionAttributeValues")
            if values is not None:
                used = unfiltered.get("KeyConditionExpression", "")
                unfiltered["ExpressionAttributeValues"] = {
                    k: v for k, v in values.items() if k in used
                }
            read = raw("Query", unfiltered).get("Items", [])
        if "IndexName" in params:
            meter.index_items += len(read)
            meter.queries += 1
        meter.add_read(read)
    elif operation == "Scan":
        # billed on every item the scan read (its Limit counts those), before filter/projection
        unfiltered = {
            k: v
            for k, v in params.items()
            if k
            not in (
                "ScanFilter",
                "FilterExpression",
                "ProjectionExpression",
                "AttributesToGet",
                "ExpressionAttributeNames",
                "ExpressionAttributeValues",
                "ReturnConsumedCapacity",
            )
        }
        meter.add_read(raw("Scan", unfiltered).get("Items", []))
    elif operation == "BatchGetItem":
        for items in result.get("Responses", {}).values():
            for item in items:
                meter.add_read([item])


class Engine:
    """Where the bench runs: moto in process (counts requests; its latencies are moto's), or
    DynamoDB Local started here (real latencies of AWS's own engine). A fresh table per part."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.local: Any = None
        self.parts = 0
        if name == "dynamodb-local":
            from loyalty_tools.local import engine

            self.local = engine.start(None)
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = self.local.endpoint
        else:
            import moto  # noqa: F401  (before any botocore client)

    @contextmanager
    def table(self) -> Iterator[str]:
        self.parts += 1
        if self.name == "moto":
            from moto import mock_aws

            with mock_aws():
                yield "loyalty-bench"
        else:
            yield f"loyalty-bench-{self.parts}"

    def stop(self) -> None:
        if self.local is not None:
            self.local.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("iterations", nargs="?", type=int, default=50, help="calls per use case")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="every part at the smallest size, in seconds: that it runs (CI), not its figures",
    )
    parser.add_argument("--engine", choices=["moto", "dynamodb-local"], default="moto")
    parser.add_argument(
        "--only",
        default="use-cases,scale,review,nightly,reconcile,events,webhooks,devserver,coldstart,"
        "package",
        help="comma-separated parts: use-cases, scale (needs Java), review, nightly, reconcile, "
        "events, webhooks, "
        "devserver "
        "(needs Java), coldstart, package",
    )
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    if args.smoke:
        _shrink()
        args.iterations = 2
    engine = Engine(args.engine)
    recorder = Recorder(engine.name)
    recorder.install()
    try:
        if "use-cases" in parts:
            with engine.table() as table:
                _run(recorder, args.iterations, table, engine.name)
        if "scale" in parts:
            _scale_bench(engine, args.smoke)
        if "review" in parts:
            print("\ntier review job (one night): reads follow the candidates, not the membership")
            print(
                f"{'members':>8} {'candidates':>10} {'downgraded':>10} {'requests':>8} "
                f"{'items read':>10} {'RCU':>7} {'WCU':>6} {'seconds':>8}"
            )
            for members, candidates, changing in REVIEW_SIZES:
                with engine.table() as table:
                    _review_bench(recorder, members, candidates, changing, table)
        if "nightly" in parts:
            print(
                "\nnightly jobs (one night, 1% of members due): reads follow the due items"
                f" ({engine.name})"
            )
            print(
                f"{'job':>10} {'members':>8} {'due':>6} {'requests':>8} {'queries':>7} "
                f"{'keys':>6} {'items':>6} {'due items':>9} {'ratio':>5} {'RCU':>7} "
                f"{'WCU':>7} {'seconds':>7}"
            )
            for members in NIGHTLY_SIZES:
                with engine.table() as table:
                    _nightly_bench(recorder, members, table)
        if "reconcile" in parts:
            with engine.table() as table:
                _reconcile_bench(recorder, RECONCILE_MEMBERS, table)
        if "events" in parts:
            _events_bench(recorder, EVENT_MEMBERS)
        if "webhooks" in parts:
            _webhooks_bench(recorder, WEBHOOK_DELIVERIES)
    finally:
        engine.stop()
    if "coldstart" in parts:
        from .coldstart import main as coldstart

        coldstart(smoke=args.smoke)
    if "package" in parts:
        _package_bench()
    if "devserver" in parts:
        from loyalty_tools.local.engine import java

        if java() is None:
            print("\ndev server row skipped: DynamoDB Local needs Java")
        else:
            from .devserver import main as devserver

            devserver(smoke=args.smoke)


@contextmanager
def _seeded_on_moto(table: str) -> Iterator[Any]:
    """The demo brand seeded into a table of moto's, whatever the bench's engine (for the parts
    that need AWS services DynamoDB Local does not have)."""
    from moto import mock_aws

    from chalicelib.services.deps import build, use
    from chalicelib.settings import Settings
    from chalicelib.store.models import create_table
    from loyalty_tools.demo import seed

    endpoint = os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    try:
        with mock_aws():
            deps = build(
                Settings.from_environment().model_copy(
                    update={"table_name": table, "program_cache_seconds": 3600}
                )
            )
            use(deps)
            create_table()
            seed(deps)
            yield deps
    finally:
        if endpoint is not None:
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint


def _events_bench(recorder: Recorder, members: int = 100) -> None:
    """Events published from the stream: DynamoDB and EventBridge calls per 1,000 events.
    All on moto (EventBridge has no local engine), whatever the bench's engine; 100 members, as
    moto copies the whole table (its stream too) in every transaction, which grows quadratically."""
    import boto3

    from chalicelib.events.publish import handle
    from chalicelib.store.bus import EventBus
    from tests.helpers import buy, enroll
    from tests.streams import Stream

    with _seeded_on_moto("loyalty-bench-events") as deps:
        boto3.client("events").create_event_bus(Name="loyalty-bench")
        deps.bus = EventBus("loyalty-bench", "loyalty.demo", "us-east-1")
        for n in range(members):
            member_id = enroll(deps, phone=f"1350000{n:04d}")
            buy(deps, member_id, f"ev-{n}", 10_000)
        records = Stream("loyalty-bench-events").read()
        meter = Meter()
        recorder.meter = meter
        report = handle(
            records,
            brand="demo",
            events=deps.events,
            bus=deps.bus,
            dead_letters=deps.dead_letters,
        )
        recorder.meter = None
    per = 1000 / max(1, report.published)
    dynamodb_calls = sum(1 for call in meter.calls if ":" not in call)
    bus_calls = sum(1 for call in meter.calls if call == "events:PutEvents")
    print(f"\nevents from the stream (moto): {len(records)} records, {report.published} published")
    print(
        f"per 1,000 events: {dynamodb_calls * per:.0f} DynamoDB calls, {meter.wcu * per:.0f} WCU, "
        f"{meter.rcu * per:.0f} RCU, {bus_calls * per:.0f} PutEvents calls; "
        "WCU added to a purchase: 0 (derived from the stream, no outbox item)"
    )


def _webhooks_bench(recorder: Recorder, deliveries: int = 300) -> None:
    """Webhook deliveries from one sender, one after another, to a receiver on 127.0.0.1 that
    answers 204 at once: deliveries per second and the DynamoDB work of each (moto)."""
    import http.server
    import threading
    import time as clock

    from chalicelib.contract.webhooks import WebhookCreate
    from chalicelib.store.delivery_queue import LocalDeliveries
    from chalicelib.webhooks.delivery import deliver, fan_out
    from chalicelib.webhooks.sender import HttpSender
    from tests.presented import webhooks

    class Quick(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quick)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        with _seeded_on_moto("loyalty-bench-hooks") as deps:
            deps.sender = HttpSender(allow_loopback=True)
            queue = LocalDeliveries(deps.clock)
            deps.delivery_queue = queue
            url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
            webhooks.create(deps, WebhookCreate(url=url, events=["*"]), None)
            events = []
            for n in range(deliveries):
                event_id = f"evt_20261201000000{n:06d}_bench{n:015d}"
                deps.events.keep(event_id, "points.earned", None, json.dumps({"id": event_id}))
                events.append((event_id, "points.earned"))
            fan_out(events, webhooks=deps.webhooks, queue=queue, now=deps.clock())
            meter = Meter()
            recorder.meter = meter
            started = clock.perf_counter()
            outcomes = [
                deliver(
                    queued,
                    webhooks=deps.webhooks,
                    events=deps.events,
                    sender=deps.sender,
                    queue=queue,
                    clock=deps.clock,
                    draw=deps.draw,
                    brand_key=deps.pii_key,
                )
                for queued in queue.due()
            ]
            seconds = clock.perf_counter() - started
            recorder.meter = None
    finally:
        receiver.shutdown()
    done = outcomes.count("delivered")
    calls = sum(1 for call in meter.calls if ":" not in call)
    print(
        f"\nwebhook deliveries, one sender in turn (moto, receiver on 127.0.0.1): {done} delivered"
    )
    print(
        f"{done / seconds:.0f} deliveries/s ({seconds * 1000 / done:.1f} ms each); per delivery: "
        f"{calls / done:.1f} DynamoDB calls, {meter.rcu / done:.1f} RCU, {meter.wcu / done:.1f} WCU"
    )


def _scale_bench(engine: Engine, smoke: bool) -> None:
    """Shared items and contention, on DynamoDB Local behind the conflicting engine."""
    from . import scale

    if smoke:
        scale.shrink()
    if engine.name != "dynamodb-local":
        from loyalty_tools.local.engine import java, start

        if java() is None:
            print("\nscale part skipped: the conflicting engine sits on DynamoDB Local (Java)")
            return
        local = start(None)
        previous = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = local.endpoint
        try:
            scale.run("loyalty-bench-scale")
        finally:
            local.stop()
            if previous is None:
                os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
            else:
                os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = previous
        return
    with engine.table() as table:
        scale.run(table)


def _package_bench() -> None:
    """The Lambda zip `make package` builds: its size and biggest parts (target ≤ 15 MB)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        loyalty = Path(sys.executable).parent / "loyalty"
        done = subprocess.run(
            [str(loyalty), "package", "--stage", "demo", "--out", out, "--no-lint"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
    print("\nLambda package (make package)")
    for line in done.stdout.splitlines():
        if line.startswith(("deployment.zip", "biggest")):
            print(line)


def _review_bench(
    recorder: Recorder, members: int, candidates: int, changing: int, table: str
) -> None:
    """`members` members, `candidates` of them holding a tier due for review tonight, of whom
    `changing` (1% of 10,000) spent too little last month and drop."""
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from chalicelib.domain.members import Member
    from chalicelib.jobs import runner
    from chalicelib.jobs.tier_review import TIER_REVIEW
    from chalicelib.services.deps import build, use
    from chalicelib.settings import Settings
    from chalicelib.store.members import member_item
    from chalicelib.store.models import MemberItem, create_table
    from loyalty_tools.demo import DEMO_PROGRAM, seed

    deps = build(
        Settings.from_environment().model_copy(
            update={"table_name": table, "program_cache_seconds": 3600}
        )
    )
    use(deps)
    create_table()
    seed(
        deps,
        DEMO_PROGRAM.model_copy(
            update={"tiers": DEMO_PROGRAM.tiers.model_copy(update={"grace_periods": 0})}
        ),
    )
    night = datetime(2026, 12, 1, 1, tzinfo=UTC)  # 09:00 on 1 December in Shanghai
    created = datetime(2026, 1, 1, tzinfo=UTC)
    with MemberItem.batch_write() as batch:
        for n in range(members):
            member = Member(
                member_id=f"mem_{n:026d}", created_at=created, updated_at=created, version=1
            )
            if n < candidates:
                member.tier = "silver"
                member.tier_review_on = "2026-12-01"
                spent = 10_000 if n < changing else 60_000  # November's spend
                member.tier_metrics = {"2026-11": [spent, 1, 0]}
            batch.save(member_item(member, ZoneInfo("Asia/Shanghai")))
    deps.jobs.advance("tier_review", date(2026, 11, 30), night)  # last night's run finished
    meter = Meter()
    recorder.meter = meter
    started = time.perf_counter()
    record, _ = runner.run(deps, TIER_REVIEW, date(2026, 12, 1), now=night)
    elapsed = time.perf_counter() - started
    recorder.meter = None
    assert record.status == "finished" and not record.errors, record
    items = meter.items_read
    reviewed, downgraded = record.counts.get("members", 0), record.counts.get("downgraded", 0)
    print(
        f"{members:>8} {reviewed:>10} {downgraded:>10} {len(meter.calls):>8} "
        f"{items:>10} {meter.rcu:>7.1f} {meter.wcu:>6.1f} {elapsed:>8.1f}"
    )


NIGHTLY_SIZES = tuple(int(n) for n in os.environ.get("NIGHTLY_SIZES", "10000,100000").split(","))


def _nightly_bench(recorder: Recorder, members: int, table: str) -> None:
    """`members` members, each with a lot; 1% have a lot ending tonight (expiry), 1% one ending
    in 7 days (reminders), 1% turn dormant tonight (dormancy); the others are due some other
    day. Per job: requests, index queries, index keys read, table items read (beside each
    shard's progress item), the items the job needs (the due members and their lots), their
    ratio, capacity and wall time."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, date, datetime, timedelta
    from datetime import time as clock_time
    from zoneinfo import ZoneInfo

    from chalicelib.domain.members import Member
    from chalicelib.domain.points import Balances, Lot
    from chalicelib.domain.program import RollingExpiry
    from chalicelib.jobs import runner
    from chalicelib.jobs.lifecycle import DORMANCY
    from chalicelib.jobs.reminders import REMINDERS
    from chalicelib.jobs.settle import SETTLE
    from chalicelib.services.deps import build, use
    from chalicelib.settings import Settings
    from chalicelib.store.members import _lot_item, member_item
    from chalicelib.store.models import Item, create_table
    from loyalty_tools.demo import DEMO_PROGRAM, seed

    zone = ZoneInfo("Asia/Shanghai")
    deps = build(
        Settings.from_environment().model_copy(
            update={"table_name": table, "program_cache_seconds": 3600}
        )
    )
    use(deps)
    create_table()
    seed(deps, DEMO_PROGRAM.model_copy(update={"expiry": RollingExpiry(reminder_days=[7])}))
    night = date(2026, 12, 1)
    created = datetime(2025, 12, 1, 4, tzinfo=UTC)
    due = members // 100

    def write(part: range) -> None:
        with Item.batch_write() as batch:
            for n in part:
                # expiry: the first 1%; reminders: the next; dormancy: the next; others: later
                group = n // due if n < 3 * due else 3
                ends = night + timedelta(days={0: 0, 1: 7}.get(group, 40 + n % 300))
                expires_at = datetime.combine(ends + timedelta(days=1), clock_time(), zone)
                lot = Lot(
                    f"lot{n:022d}", 100, 100, created, expires_at.astimezone(UTC), None, False
                )
                member = Member(
                    member_id=f"mem_{n:026d}",
                    created_at=created,
                    updated_at=created,
                    version=1,
                    balances=Balances(balance=100, lifetime=100),
                    last_active_at=created,
                    dormant_on=(
                        night if group == 2 else night + timedelta(days=50 + n % 90)
                    ).isoformat(),
                    next_due_at=lot.expires_at,
                )
                batch.save(member_item(member, zone))
                batch.save(_lot_item(member.member_id, lot, zone))

    started = time.perf_counter()
    step = max(1, members // 8)  # DynamoDB Local takes writes on both cores
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, [range(i, min(i + step, members)) for i in range(0, members, step)]))
    seeded = time.perf_counter() - started
    now = datetime.combine(night + timedelta(days=1), clock_time(1), zone)
    for job, day, needed in (
        (SETTLE, night, 2 * due),  # the member and its lot
        (REMINDERS, night, due),  # the lot ending in 7 days
        (DORMANCY, night, due),  # the member
    ):
        meter = Meter()
        recorder.meter = meter
        began = time.perf_counter()
        record, _ = runner.run(deps, job, day, now=now)
        elapsed = time.perf_counter() - began
        recorder.meter = None
        assert record.status == "finished" and not record.errors, record
        # beside the shard queries, one read per shard of its progress (a GetItem)
        shards = len(job.partitions(deps.programs.require(), day))
        table_items = meter.items_read - meter.index_items - shards
        print(
            f"{job.name:>10} {members:>8} {record.counts.get('members', 0):>6} "
            f"{len(meter.calls):>8} {meter.queries:>7} {meter.index_items:>6} {table_items:>6} "
            f"{needed:>9} {table_items / needed:>5.2f} {meter.rcu:>7.1f} {meter.wcu:>7.1f} "
            f"{elapsed:>7.1f}"
        )
    print(f"{'':>10} (seeding {members} members and their lots took {seeded:.0f} s)")


RECONCILE_MEMBERS = int(os.environ.get("RECONCILE_MEMBERS", "1000"))


def _reconcile_bench(recorder: Recorder, members: int, table: str) -> None:
    """`members` members, each with 3 purchases (3 lots, 3 journal items, 3 orders), a top-up,
    a payment and a refund (the wallet, its 3 entries, the top-up and the payment): the whole
    brand reconciled, per 1,000 members."""
    from chalicelib.contract.checkout import PurchaseRequest
    from chalicelib.contract.members import EnrollRequest
    from chalicelib.contract.wallet import TopupRequest, WalletPaymentRequest, WalletRefundRequest
    from chalicelib.services.deps import build, use
    from chalicelib.settings import Settings
    from chalicelib.store.models import create_table
    from loyalty_tools.demo import seed
    from tests.presented import members as enrolment
    from tests.presented import purchases, reconciliation, wallet

    deps = build(
        Settings.from_environment().model_copy(
            update={"table_name": table, "program_cache_seconds": 3600}
        )
    )
    use(deps)
    create_table()
    seed(deps)
    started = time.perf_counter()
    for n in range(members):
        body = enrolment.enroll(deps, EnrollRequest(external_id=f"rec-{n}"), None).body
        member_id = json.loads(body)["member_id"]
        for j in range(3):
            order = PurchaseRequest(order_id=f"o-{n}-{j}", amount=10_000, currency="CNY")
            purchases.purchase(deps, member_id, order, None)
        wallet.top_up(deps, member_id, TopupRequest(payment_id=f"p-{n}", amount=50_000), None)
        wallet.pay(deps, member_id, WalletPaymentRequest(order_id=f"w-{n}", amount=9_900), None)
        wallet.refund(deps, member_id, WalletRefundRequest(order_id=f"w-{n}", amount=100), None)
    seeded = time.perf_counter() - started
    meter = Meter()
    recorder.meter = meter
    began = time.perf_counter()
    cursor, checked, ok = None, 0, True
    while True:
        page = reconciliation.brand_page(deps, 500, cursor)
        checked += page.members_checked
        ok = ok and page.ok
        cursor = page.next_cursor
        if cursor is None:
            break
    elapsed = time.perf_counter() - began
    recorder.meter = None
    assert ok and checked == members, (ok, checked)
    per = 1000 / members
    print(
        f"\nreconciliation of the whole brand: {members} members (seeded in {seeded:.0f} s), "
        f"per 1,000 members: {len(meter.calls) * per:.0f} requests, "
        f"{meter.items_read * per:.0f} items read, {meter.rcu * per:.0f} RCU, "
        f"{elapsed * per:.1f} s"
    )


def _run(recorder: Recorder, n: int, table: str, engine: str) -> None:
    from datetime import UTC, datetime, timedelta

    from chalice.test import Client

    from app import app
    from chalicelib.contract.coupons import IssueRequest
    from chalicelib.domain.coupons import CouponTemplate
    from chalicelib.services import api_keys
    from chalicelib.services.deps import build, use
    from chalicelib.settings import Settings
    from chalicelib.store.models import create_table
    from loyalty_tools.demo import DEMO_PROGRAM, seed
    from tests.presented import coupon_issue, templates

    # the members' history is written past the demo's 7-day return window before the measured
    # calls (the nightly vesting job then makes its points spendable), so a measured purchase is
    # its member's first of the day and pays for moving the merchant's day marks
    history_days = DEMO_PROGRAM.return_window_days + 2
    moment = [datetime.now(UTC) - timedelta(days=history_days)]
    deps = build(
        Settings.from_environment().model_copy(
            update={"table_name": table, "program_cache_seconds": 3600}
        ),
        clock=lambda: moment[0],
    )
    use(deps)
    create_table()
    voucher = CouponTemplate(
        template_id="bench-voucher",
        name="¥1 off",
        kind="fixed",
        amount_off=100,
        points_price=100,
        per_member_limit=None,
    )
    seed(deps)
    templates.create(deps, voucher, None)
    key, _ = api_keys.create(deps, "storefront")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    admin_key, _ = api_keys.create(deps, "admin")

    with Client(app, stage_name="dev", project_dir=str(ROOT)) as client:

        def post(path: str, body: dict[str, Any], key: str | None = None) -> Any:
            sent = headers if key is None else {**headers, "Idempotency-Key": key}
            response = client.http.post(path, headers=sent, body=json.dumps(body))
            assert response.status_code in (200, 201), (path, response.json_body)
            return response.json_body

        def get(path: str, admin: bool = False) -> Any:
            sent = {**headers, "Authorization": f"Bearer {admin_key}"} if admin else headers
            response = client.http.get(path, headers=sent)
            assert response.status_code == 200, (path, response.json_body)
            return response.json_body

        # warm the Lambda: program cached, API key cached (as API Gateway caches the authorizer)
        warm = post("/v1/members", {"phone": "13900000000"})["member_id"]
        get(f"/v1/members/{warm}")
        ids = [post("/v1/members", {"phone": f"1390000{i:04d}"})["member_id"] for i in range(n)]
        codes = []
        for i, member_id in enumerate(ids):  # each member has three lots to spend from
            for j in range(3):
                post(
                    f"/v1/members/{member_id}/purchases",
                    {"order_id": f"seed-{i}-{j}", "amount": 10_000, "currency": "CNY"},
                )
            issued = coupon_issue.issue(
                deps, "silver-welcome", IssueRequest(member_id=member_id), None
            )
            codes.append(json.loads(issued.body)["coupon"]["code"])

        # one member with a long history: 200 past purchases, a quarter of their points spent
        veteran = post("/v1/members", {"phone": "13600000000"})["member_id"]
        for j in range(HISTORY):
            post(
                f"/v1/members/{veteran}/purchases",
                {"order_id": f"hist-{j}", "amount": 10_000, "currency": "CNY"},
            )
        moment[0] += timedelta(days=history_days)
        get(f"/v1/members/{warm}")  # the program cached again
        from chalicelib.jobs import nightly

        for job in ("vesting", "rfm"):  # the history's points vested, the RFM sample read
            nightly.run_jobs(deps, nightly.jobs_named(job), now=moment[0])
        spent = HISTORY * 100 // 4 // 100 * 100  # a quarter of the veteran's points
        post(f"/v1/members/{veteran}/redemptions", {"order_id": "hist-0", "points": spent})
        first = (moment[0] - timedelta(days=29)).date()
        previous = f"from={first - timedelta(days=30)}&to={first - timedelta(days=1)}"

        def dashboard_page(i: int) -> None:  # what /dashboard reads when it opens
            get("/v1/admin/kpis?grain=day", admin=True)
            get(f"/v1/admin/kpis?grain=day&{previous}", admin=True)
            get("/v1/admin/jobs?limit=10", admin=True)
            get("/v1/admin/rfm", admin=True)

        basket = {
            "amount": 12_800,
            "currency": "CNY",
            "items": [
                {"sku": "LONGJING", "category": "tea", "amount": 8_800},
                {"sku": "CUP", "category": "ware", "amount": 4_000},
            ],
        }
        cases: list[tuple[str, Callable[[int], Any]]] = [
            ("enroll", lambda i: post("/v1/members", {"phone": f"1370000{i:04d}"})),
            ("member read", lambda i: get(f"/v1/members/{ids[i]}")),
            (f"read, {HISTORY} buys", lambda i: get(f"/v1/members/{veteran}")),
            ("quote", lambda i: post(f"/v1/members/{ids[i]}/quote", basket)),
            (
                "purchase",
                lambda i: post(
                    f"/v1/members/{ids[i]}/purchases", {"order_id": f"buy-{i}", **basket}
                ),
            ),
            (
                "purchase, key",
                lambda i: post(
                    f"/v1/members/{ids[i]}/purchases",
                    {"order_id": f"keyed-{i}", **basket},
                    key=f"bench-key-{i}",
                ),
            ),
            (
                "replay, key",
                lambda i: post(
                    f"/v1/members/{ids[i]}/purchases",
                    {"order_id": f"keyed-{i}", **basket},
                    key=f"bench-key-{i}",
                ),
            ),
            (
                f"buy, {HISTORY} buys",
                lambda i: post(
                    f"/v1/members/{veteran}/purchases", {"order_id": f"vet-{i}", **basket}
                ),
            ),
            (
                "redemption",
                lambda i: post(
                    f"/v1/members/{ids[i]}/redemptions", {"order_id": f"buy-{i}", "points": 200}
                ),
            ),
            (
                "refund",
                lambda i: post(
                    f"/v1/members/{ids[i]}/refunds", {"order_id": f"buy-{i}", "amount": 6_400}
                ),
            ),
            ("ledger page", lambda i: get(f"/v1/members/{ids[i]}/ledger?limit=20")),
            (
                "coupon redeem",
                lambda i: post(
                    f"/v1/members/{ids[i]}/coupons/{codes[i]}/redeem",
                    {"order_id": f"cpn-{i}", **basket},
                ),
            ),
            (
                "exchange",
                lambda i: post(
                    f"/v1/members/{ids[i]}/coupons/exchange", {"template_id": "bench-voucher"}
                ),
            ),
            (  # 储500送50: the demo's bonus rule
                "wallet top-up",
                lambda i: post(
                    f"/v1/members/{ids[i]}/wallet/topups",
                    {"payment_id": f"pay-{i}", "amount": 50_000},
                ),
            ),
            (
                "wallet payment",
                lambda i: post(
                    f"/v1/members/{ids[i]}/wallet/payments",
                    {"order_id": f"w-{i}", "amount": 12_800},
                ),
            ),
            (
                "wallet refund",
                lambda i: post(
                    f"/v1/members/{ids[i]}/wallet/refunds", {"order_id": f"w-{i}", "amount": 6_400}
                ),
            ),
            ("wallet read", lambda i: get(f"/v1/members/{ids[i]}/wallet")),
            ("kpis, 30 days", lambda i: get("/v1/admin/kpis", admin=True)),  # 数据看板's call
            ("rfm overview", lambda i: get("/v1/admin/rfm", admin=True)),
            ("dashboard page", dashboard_page),
        ]
        from chalicelib.jobs.stream import consume
        from tests.streams import Stream

        stream = Stream(table)

        def fold_stream() -> None:
            for shard_id, records in stream.read_shards():
                if records:
                    consume(deps, records, shard_id)

        rows = []
        consumer: dict[str, Meter] = {}
        for name, call in cases:
            fold_stream()  # what came before: not this case's
            meter = Meter()
            latencies = []
            for i in range(n):
                recorder.meter = meter
                started = time.perf_counter()
                call(i)
                latencies.append((time.perf_counter() - started) * 1000)
                recorder.meter = None
            if name in ("purchase", "enroll", "refund", "wallet top-up"):
                consumer[name] = Meter()  # the stream consumer's work for this case's writes
                recorder.meter = consumer[name]
                fold_stream()
                recorder.meter = None
            ops = defaultdict(int)
            for op in meter.calls:
                ops[op] += 1
            rows.append(
                (
                    name,
                    len(meter.calls) / n,
                    meter.rcu / n,
                    meter.wcu / n,
                    meter.reported / n,
                    dict(meter.index_wcu),
                    statistics.median(latencies),
                    ", ".join(f"{op}×{count / n:g}" for op, count in sorted(ops.items())),
                    meter.kpi_wcu / n,
                )
            )

    print(f"\nloyalty bench: {n} calls per use case, in-process Chalice test client, {engine}")
    local = engine == "dynamodb-local"
    print(
        f"{'use case':<16} {'requests':>8} {'RCU':>6} {'WCU':>6} "
        + (f"{'reported':>8} " if local else "")
        + f"{'p50 ms':>7}  {'index WCU':<16} DynamoDB calls"
    )
    for name, requests, rcu, wcu, reported, index_wcu, p50, ops, _ in rows:
        indexes = ",".join(f"{k}={v / n:g}" for k, v in sorted(index_wcu.items()) if v) or "-"
        print(
            f"{name:<16} {requests:>8.2f} {rcu:>6.1f} {wcu:>6.1f} "
            + (f"{reported:>8.1f} " if local else "")
            + f"{p50:>7.1f}  {indexes:<16} {ops}"
        )
    figures = ", ".join(f"{r[0]} {r[8]:g}" for r in rows if r[8]) or "none"
    print(f"\nof which the merchant's figures (KPI items, WCU per call): {figures}")
    folded = ", ".join(
        f"{name} {meter.wcu / n:.1f} WCU ({meter.kpi_wcu / n:.1f} of it figures)"
        for name, meter in consumer.items()
    )
    print(
        "the stream consumer's work for those calls, per call (events kept and published, "
        f"figures folded, amortised over the batch of {n}): {folded}"
    )
    purchase = next(r for r in rows if r[0] == "purchase")
    cost = purchase[3] * WRU_PRICE + purchase[2] * RRU_PRICE
    print(
        f"\nDynamoDB cost of one million purchases (on-demand, ${WRU_PRICE}/M WRU, "
        f"${RRU_PRICE}/M RRU): ${cost:.2f}"
    )
    if engine == "moto":
        print("p50 is moto in-process, not DynamoDB: compare between commits, not with production.")


if __name__ == "__main__":
    main(sys.argv[1:])
