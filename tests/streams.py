"""Reading a table's DynamoDB stream in tests and the bench, as Lambda's poller does."""

import os

import boto3


class Stream:
    """Reads the table's stream from where the last read stopped (first: the oldest record)."""

    def __init__(self, table: str) -> None:
        arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self.client = boto3.client(
            "dynamodbstreams", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
        )
        shards = self.client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        self.shard_ids = [s["ShardId"] for s in shards]
        self.iterators = [
            self.client.get_shard_iterator(
                StreamArn=arn, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for s in shards
        ]

    @property
    def shard_id(self) -> str:
        """The one shard of a test's table (moto and DynamoDB Local open one per table)."""
        (only,) = self.shard_ids
        return only

    def read(self) -> list[dict]:
        """Every record written since the last read, page after page (all shards)."""
        return [record for _, records in self.read_shards() for record in records]

    def read_shards(self) -> list[tuple[str, list[dict]]]:
        """Per shard, every record written since the last read."""
        found = []
        for i, iterator in enumerate(self.iterators):
            records = []
            while iterator:
                page = self.client.get_records(ShardIterator=iterator, Limit=1000)
                records += page["Records"]
                iterator = page.get("NextShardIterator")
                self.iterators[i] = iterator
                if not page["Records"]:
                    break
            found.append((self.shard_ids[i], records))
        return found
