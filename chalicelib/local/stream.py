"""`make dev` publishes too: follow the local table's stream, as Lambda's poller does in AWS,
and hand each batch to the same consumer (`events.publish.handle`). Without a bus configured the
events are kept for pulling at `GET /v1/admin/events`."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from ..events.publish import handle
from ..services.deps import Deps
from ..webhooks.delivery import fan_out

POLL_SECONDS = 0.5


def follow(deps: Deps, stopping: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=_loop, args=(deps, stopping), name="stream", daemon=True)
    thread.start()
    return thread


def _loop(deps: Deps, stopping: threading.Event) -> None:
    import boto3

    table = deps.settings.table_name
    arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    # DynamoDB Local serves its streams on its own endpoint
    streams = boto3.client("dynamodbstreams", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
    iterators: dict[str, str | None] = {}
    while not stopping.wait(POLL_SECONDS):
        try:
            shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            for shard in shards:
                if shard["ShardId"] not in iterators:
                    iterators[shard["ShardId"]] = streams.get_shard_iterator(
                        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                    )["ShardIterator"]
            for shard_id, iterator in list(iterators.items()):
                if iterator is None:
                    continue  # a closed shard, read to its end
                page: dict[str, Any] = streams.get_records(ShardIterator=iterator, Limit=100)
                iterators[shard_id] = page.get("NextShardIterator")
                if page["Records"]:
                    handle(
                        page["Records"],
                        brand=deps.settings.brand,
                        events=deps.events,
                        bus=deps.bus,
                        dead_letters=deps.dead_letters,
                        deliveries=lambda events: fan_out(
                            events,
                            webhooks=deps.webhooks,
                            queue=deps.delivery_queue,
                            now=deps.clock(),
                        ),
                    )
        except Exception as exc:  # keep following; say why
            print(f"stream: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
