"""One DynamoDB transaction per use case: collect labelled writes, send them all or nothing.

Each write carries a label naming the business rule its condition enforces ("member_version",
"order_is_new", ...); when DynamoDB cancels the transaction, the labels of the failed conditions
come back in `WriteRejected.failed`, so the service can say which rule broke.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..domain.errors import TooManyLots
from .models import Item

MAX_ITEMS = 100
M = TypeVar("M", bound=Item)


class WriteRejected(Exception):
    """The transaction was cancelled; `failed` holds the labels whose conditions did not hold."""

    def __init__(self, failed: set[str], conflict: bool) -> None:
        super().__init__(f"transaction cancelled: failed={sorted(failed)} conflict={conflict}")
        self.failed = failed
        # Another transaction touched the same items at the same time: safe to retry.
        self.conflict = conflict


class StoreUnavailable(Exception):
    """DynamoDB did not answer as expected (throttled, down); the API maps this to a 503.

    Every store call turns whatever its DynamoDB call raised into this: PynamoDB's errors,
    botocore's, and the exceptions a local engine's client library throws (moto's dictionary
    races among them), so a failing store is never a bare 500."""


def get_or_none(model: type[M], pk: str, sk: str) -> M | None:
    """One item by key, or None; DynamoDB's failures become StoreUnavailable here."""
    try:
        return model.get(pk, sk)
    except model.DoesNotExist:
        return None
    except Exception as exc:
        raise StoreUnavailable(str(exc)) from exc


@dataclass
class UnitOfWork:
    connection: Connection
    _puts: list[tuple[str, Item, Condition | None]] = field(default_factory=list)
    _updates: list[tuple[str, Item, list[Action], Condition | None]] = field(default_factory=list)

    def put(self, label: str, item: Item, condition: Condition | None = None) -> None:
        self._puts.append((label, item, condition))

    def update(
        self, label: str, item: Item, actions: list[Action], condition: Condition | None = None
    ) -> None:
        """For counters that must stay right under concurrency (stock, per-member limits)."""
        self._updates.append((label, item, actions, condition))

    def __len__(self) -> int:
        return len(self._puts) + len(self._updates)

    def commit(self) -> None:
        if not len(self):
            return
        if len(self) > MAX_ITEMS:
            raise TooManyLots(
                f"this change would touch {len(self)} items; one transaction holds {MAX_ITEMS}"
            )
        # PynamoDB sends puts before updates (whatever the order they were added in), and
        # cancellation reasons come in the order sent: keep the labels in that order.
        labels = [label for label, _, _ in self._puts]
        labels += [label for label, _, _, _ in self._updates]
        try:
            with TransactWrite(connection=self.connection) as tx:
                for _, item, condition in self._puts:
                    tx.save(item, condition=condition)
                for _, item, actions, condition in self._updates:
                    tx.update(item, actions=actions, condition=condition)
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise StoreUnavailable(str(exc)) from exc
            reasons: list[Any] = exc.cancellation_reasons or []
            failed = {
                label
                for label, reason in zip(labels, reasons, strict=False)
                if reason is not None and reason.code == "ConditionalCheckFailed"
            }
            conflict = any(
                reason is not None and reason.code == "TransactionConflict" for reason in reasons
            )
            raise WriteRejected(failed, conflict) from exc
        except Exception as exc:
            raise StoreUnavailable(str(exc)) from exc
