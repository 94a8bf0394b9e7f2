"""The conflicting engine's own rules (`tests/conflicts.py`), on DynamoDB Local: what DynamoDB does
to concurrent transactions and hot partitions, which DynamoDB Local alone never shows."""

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conflicts import ConflictingEngine
from tests.conftest import ENGINE

pytestmark = pytest.mark.skipif(
    ENGINE != "dynamodb-local", reason="a layer over DynamoDB Local's wire"
)


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def table(deps):
    client = boto3.client("dynamodb", config=Config(retries={"total_max_attempts": 1}))
    return client, deps.settings.table_name


def _put(table_name: str, pk: str, sk: str = "S", **extra: str) -> dict:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, "type": {"S": "test"}}
    item.update({k: {"S": v} for k, v in extra.items()})
    return {"Put": {"TableName": table_name, "Item": item}}


def _add(table_name: str, pk: str, sk: str = "S") -> dict:
    return {
        "Update": {
            "TableName": table_name,
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def _reasons(error: ClientError) -> list[str]:
    return [reason["Code"] for reason in error.response["CancellationReasons"]]


def test_two_overlapping_transactions_on_one_item__the_second_is_cancelled(table):
    client, name = table
    ticks = Ticks()
    with ConflictingEngine(clock=ticks).installed() as engine:
        client.transact_write_items(TransactItems=[_add(name, "TOTALS"), _put(name, "M#1")])
        ticks.now += 0.005  # the first still holds its items
        with pytest.raises(ClientError) as cancelled:
            client.transact_write_items(TransactItems=[_put(name, "M#2"), _add(name, "TOTALS")])
        error = cancelled.value.response["Error"]
        assert error["Code"] == "TransactionCanceledException"
        assert _reasons(cancelled.value) == ["None", "TransactionConflict"]
        assert engine.conflicts_by_pk == {"TOTALS": 1}
        ticks.now += 0.015  # the first is over: the same write goes through
        client.transact_write_items(TransactItems=[_put(name, "M#2"), _add(name, "TOTALS")])
    found = client.get_item(TableName=name, Key={"pk": {"S": "TOTALS"}, "sk": {"S": "S"}})
    assert found["Item"]["n"] == {"N": "2"}  # the cancelled one wrote nothing
    assert "Item" not in client.get_item(TableName=name, Key={"pk": {"S": "M#3"}, "sk": {"S": "S"}})


def test_two_overlapping_transactions_on_different_items__both_commit(table):
    client, name = table
    ticks = Ticks()
    with ConflictingEngine(clock=ticks).installed() as engine:
        client.transact_write_items(TransactItems=[_put(name, "M#1"), _add(name, "M#1", "C")])
        client.transact_write_items(TransactItems=[_put(name, "M#2"), _add(name, "M#2", "C")])
    assert engine.stats["transactions_cancelled"] == 0
    assert engine.stats["transactions_admitted"] == 2


def test_a_single_write_to_an_item_a_transaction_holds__is_a_transaction_conflict(table):
    client, name = table
    ticks = Ticks()
    with ConflictingEngine(clock=ticks).installed():
        client.transact_write_items(TransactItems=[_put(name, "M#1")])
        with pytest.raises(ClientError) as conflict:
            client.put_item(**_put(name, "M#1")["Put"])
        assert conflict.value.response["Error"]["Code"] == "TransactionConflictException"
        client.put_item(**_put(name, "M#2")["Put"])  # another item: no conflict
        ticks.now += 1
        client.put_item(**_put(name, "M#1")["Put"])  # the transaction is over


def test_a_partition_past_its_write_units_a_second__is_throttled(table):
    client, name = table
    ticks = Ticks()
    with ConflictingEngine(clock=ticks, partition_wcu=10).installed() as engine:
        big = "x" * 1_500  # 2 KB: 2 WCU a write, 4 in a transaction
        for n in range(5):
            client.put_item(**_put(name, "HOT", f"S{n}", blob=big)["Put"])
        with pytest.raises(ClientError) as throttled:
            client.put_item(**_put(name, "HOT", "S9", blob=big)["Put"])
        assert throttled.value.response["Error"]["Code"] == "ThrottlingException"
        client.put_item(**_put(name, "COLD", "S9", blob=big)["Put"])  # another partition
        with pytest.raises(ClientError) as cancelled:
            client.transact_write_items(TransactItems=[_put(name, "HOT", "S10")])
        assert _reasons(cancelled.value) == ["ThrottlingError"]
        assert engine.throttled_by_pk == {"HOT": 2}, engine.stats
        ticks.now += 1.0  # a second later the partition has its units again
        client.put_item(**_put(name, "HOT", "S9", blob=big)["Put"])
    assert engine.throttled_by_pk == {"HOT": 2}


def test_the_unit_of_work_reads_a_conflict_as_a_conflict(brand):
    from chalicelib.domain.guards import Guard, Rule, WriteRejected
    from chalicelib.store.models import TotalsItem

    ticks = Ticks()
    with ConflictingEngine(clock=ticks).installed():
        first = brand.uow()
        first.add(Guard(Rule.TOTALS), TotalsItem(pk="TOTALS", sk="00"), {"points_balance": 1})
        first.commit()
        second = brand.uow()
        second.add(Guard(Rule.TOTALS), TotalsItem(pk="TOTALS", sk="00"), {"points_balance": 1})
        with pytest.raises(WriteRejected) as rejected:
            second.commit()
    assert rejected.value.conflict and not rejected.value.failed
