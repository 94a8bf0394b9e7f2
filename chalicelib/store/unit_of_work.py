"""One DynamoDB transaction per use case, and the one place DynamoDB's failures become the
domain's errors.

Each write carries a `Guard` naming the business rule its condition enforces; when DynamoDB
cancels the transaction, the guards of the failed conditions come back in `WriteRejected`.
Whatever else a DynamoDB call raises (PynamoDB's errors, botocore's, a local engine's client
library's own) is `Unavailable`: the request changed nothing and may be retried.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from msgspec import Struct, field
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..domain.errors import DomainError, TooManyLots, Unavailable
from ..domain.guards import Guard, WriteRejected
from .models import Item

MAX_ITEMS = 100
M = TypeVar("M", bound=Item)
UNAVAILABLE = (
    "the store did not answer and nothing was changed; retry in a second with the same "
    "Idempotency-Key"
)


@contextmanager
def dynamodb() -> Iterator[None]:
    """Around every DynamoDB read: its failure is the domain's `Unavailable`."""
    try:
        yield
    except DomainError:
        raise
    except Exception as exc:
        raise Unavailable(UNAVAILABLE) from exc


def get_or_none(model: type[M], pk: str, sk: str) -> M | None:
    """One item by key, or None."""
    with dynamodb():
        try:
            return model.get(pk, sk)
        except model.DoesNotExist:
            return None


def scan_page(
    model: type[M], after: str | None, limit: int, *, segment: int = 0, total_segments: int = 1
) -> tuple[list[M], str | None]:
    """Up to `limit` items of one type from a (segment of a) table scan, and where it goes on
    (None: done), as text for a cursor. For exports and samples, never a storefront's path."""
    with dynamodb():
        found = model.scan(
            segment=segment,
            total_segments=total_segments,
            limit=limit,
            last_evaluated_key=json.loads(after) if after else None,
        )
        items = list(found)
        last = found.last_evaluated_key
    return items, (json.dumps(last, sort_keys=True) if last else None)


class Transactions:
    """Where units of work come from: one connection per warm Lambda, built on first use."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._connection: Connection | None = None

    def new(self) -> UnitOfWork:
        if self._connection is None:
            self._connection = Connection(region=self.region)
        return UnitOfWork(self._connection)


class UnitOfWork(Struct):
    """Collects guarded writes and sends them all or nothing; nothing is sent unless committed."""

    connection: Connection
    _deletes: list[tuple[Guard, Item, Condition | None]] = field(default_factory=list)
    _puts: list[tuple[Guard, Item, Condition | None]] = field(default_factory=list)
    _updates: list[tuple[Guard, Item, list[Action], Condition | None]] = field(default_factory=list)
    _adds: dict[tuple[str, str], tuple[Guard, Item, dict[str, int]]] = field(default_factory=dict)
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def on_cancel(self, undo: Callable[[], None]) -> None:
        """Something done before the transaction (a unit of stock taken) to undo if it does not
        commit."""
        self._undo.append(undo)

    def cancel(self) -> None:
        """The transaction will not be sent: undo what was done for it."""
        undo, self._undo = self._undo, []
        for step in reversed(undo):
            step()

    def put(self, guard: Guard, item: Item, condition: Condition | None = None) -> None:
        self._puts.append((guard, item, condition))

    def delete(self, guard: Guard, item: Item, condition: Condition | None = None) -> None:
        self._deletes.append((guard, item, condition))

    def update(
        self, guard: Guard, item: Item, actions: list[Action], condition: Condition | None = None
    ) -> None:
        """For counters that must stay right under concurrency (stock, per-member limits)."""
        self._updates.append((guard, item, actions, condition))

    def add(self, guard: Guard, item: Item, deltas: dict[str, int]) -> None:
        """ADD `deltas` to number attributes of `item` (created if absent, with its type). Adds
        to one item merge: a transaction may name an item once, and two facts of one write (a
        member's points and its wallet) may move the same running total."""
        _, _, summed = self._adds.setdefault((item.pk, item.sk), (guard, item, {}))
        for name, value in deltas.items():
            summed[name] = summed.get(name, 0) + value

    def _add_updates(self) -> list[tuple[Guard, Item, list[Action], Condition | None]]:
        updates: list[tuple[Guard, Item, list[Action], Condition | None]] = []
        for guard, item, deltas in self._adds.values():
            moved = sorted((name, value) for name, value in deltas.items() if value)
            if moved:
                model = type(item)
                actions = [getattr(model, name).add(value) for name, value in moved]
                updates.append((guard, item, [*actions, Item.type.set(model)], None))
        return updates

    def __len__(self) -> int:
        return len(self._deletes) + len(self._puts) + len(self._updates) + len(self._adds)

    def commit(self) -> None:
        try:
            self._commit()
        except BaseException:
            self.cancel()
            raise
        self._undo = []

    def _commit(self) -> None:
        self._updates += self._add_updates()
        self._adds.clear()
        if not len(self):
            return
        if len(self) > MAX_ITEMS:
            raise TooManyLots(
                f"this change would touch {len(self)} items; one transaction holds {MAX_ITEMS}"
            )
        # PynamoDB sends deletes, then puts, then updates (whatever the order they were added
        # in), and cancellation reasons come in the order sent: keep the guards in that order.
        guards = [guard for guard, _, _ in self._deletes]
        guards += [guard for guard, _, _ in self._puts]
        guards += [guard for guard, _, _, _ in self._updates]
        try:
            with TransactWrite(connection=self.connection) as tx:
                for _, item, condition in self._deletes:
                    tx.delete(item, condition=condition)
                for _, item, condition in self._puts:
                    tx.save(item, condition=condition)
                for _, item, actions, condition in self._updates:
                    tx.update(item, actions=actions, condition=condition)
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise Unavailable(UNAVAILABLE) from exc
            reasons: list[Any] = exc.cancellation_reasons or []
            failed = [
                guard
                for guard, reason in zip(guards, reasons, strict=False)
                if reason is not None and reason.code == "ConditionalCheckFailed"
            ]
            conflict = any(
                reason is not None and reason.code == "TransactionConflict" for reason in reasons
            )
            raise WriteRejected(failed, conflict) from exc
        except Exception as exc:
            raise Unavailable(UNAVAILABLE) from exc
