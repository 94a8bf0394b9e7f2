"""moto's DynamoDB stream, made to carry what DynamoDB's carries: committed writes only.

moto 5.2 rolls a cancelled transaction back by putting a copy of the whole table (taken before
it) in the table's place. The stream shard goes with the copy, so the records the cancelled
transaction appended stay on the old shard object, which every open shard iterator still reads,
while the writes after it land on the copy, which those iterators never see. A consumer then
reads phantom records and misses real ones. Here the old shard is kept across the rollback
(iterators go on) with the cancelled records taken off it.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    """Idempotent; a no-op where moto is not installed."""
    try:
        from moto.dynamodb.models import DynamoDBBackend
    except ImportError:
        return
    original = DynamoDBBackend.transact_write_items
    if getattr(original, "keeps_streams", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        shards = {
            name: (table.stream_shard, len(table.stream_shard.items))
            for name, table in self.tables.items()
            if table.stream_shard is not None
        }
        try:
            original(self, transact_items)
        except BaseException:
            for name, (shard, length) in shards.items():
                table = self.tables.get(name)
                if table is None:
                    continue
                del shard.items[length:]
                shard.table = table
                table.stream_shard = shard
            raise

    transact_write_items.keeps_streams = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
