"""`make dev` publishes too: follow the local table's stream, as Lambda's poller does in AWS,
and hand each batch to the same consumer (`jobs.stream.consume`). Without a bus configured the
events are kept for pulling at `GET /v1/admin/events`.

Like Lambda's event source mapping, the follower keeps its place in each shard (the last
sequence number it handed over, in `<data>/stream.json`, written after each batch): a restart
goes on from there instead of reading the whole retained stream again, so an event appears
within a second or two of its write whatever the table's history. A batch handed over but not
yet recorded when the server is killed is handed over again, which the consumer takes (it
publishes each event once and counts each change once).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from chalicelib.jobs.stream import consume
from chalicelib.services.deps import Deps

POLL_SECONDS = 0.5


class Positions:
    """The last sequence number handed over, per shard of one stream, kept in a file."""

    def __init__(self, path: Path, stream_arn: str) -> None:
        self.path = path
        self.stream_arn = stream_arn
        kept: dict[str, Any] = {}
        if path.exists():
            try:
                kept = json.loads(path.read_text())
            except ValueError:
                kept = {}
        # another stream (the table made anew): nothing of the old one applies
        self.shards: dict[str, str] = (
            dict(kept.get("shards", {})) if kept.get("stream") == stream_arn else {}
        )

    def advance(self, shard_id: str, sequence: str) -> None:
        self.shards[shard_id] = sequence
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"stream": self.stream_arn, "shards": self.shards}))
        tmp.replace(self.path)  # atomic: a kill never leaves half a file


def follow(
    deps: Deps, stopping: threading.Event, data_dir: Path, *, from_latest: bool = False
) -> threading.Thread:
    """`from_latest`: the shards' records written before now are not handed over (moto's
    stream, which starts anew with a table restored from its snapshot)."""
    thread = threading.Thread(
        target=_loop,
        args=(deps, stopping, data_dir / "stream.json", from_latest),
        name="stream",
        daemon=True,
    )
    thread.start()
    return thread


def _iterator(
    streams: Any, arn: str, shard_id: str, positions: Positions, from_latest: bool
) -> str | None:
    """Where to read a shard from: after the last record handed over, or its oldest record (or
    its newest, `from_latest`)."""
    if from_latest:
        found = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard_id, ShardIteratorType="LATEST"
        )
        return str(found["ShardIterator"])
    after = positions.shards.get(shard_id)
    if after is not None:
        try:
            return str(
                streams.get_shard_iterator(
                    StreamArn=arn,
                    ShardId=shard_id,
                    ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                    SequenceNumber=after,
                )["ShardIterator"]
            )
        except streams.exceptions.TrimmedDataAccessException:
            pass  # kept longer than the stream keeps records: read what is left
    found = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )
    return str(found["ShardIterator"])


def _loop(deps: Deps, stopping: threading.Event, path: Path, from_latest: bool) -> None:
    import boto3

    table = deps.settings.table_name
    arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    # DynamoDB Local serves its streams on its own endpoint (moto in process: none)
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint)
    positions = Positions(path, arn)
    iterators: dict[str, str | None] = {}
    busy = False
    while not stopping.wait(0 if busy else POLL_SECONDS):  # behind: read on without a pause
        busy = False
        try:
            shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            for shard in shards:
                if shard["ShardId"] not in iterators:
                    iterators[shard["ShardId"]] = _iterator(
                        streams, arn, shard["ShardId"], positions, from_latest
                    )
            for shard_id, iterator in list(iterators.items()):
                if iterator is None:
                    continue  # a closed shard, read to its end
                page: dict[str, Any] = streams.get_records(ShardIterator=iterator, Limit=100)
                if page["Records"]:
                    busy = True
                    consume(deps, page["Records"], shard_id)
                    positions.advance(shard_id, page["Records"][-1]["dynamodb"]["SequenceNumber"])
                iterators[shard_id] = page.get("NextShardIterator")
        except Exception as exc:  # keep following; say why
            print(f"stream: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
