"""The brand's running totals: points and stored value outstanding, as of now.

Sixteen shards by member (a single item would throttle at 1,000 writes a second): each fact adds
its change to its member's shard in the same transaction that records it, so the totals are
never behind the books, and reading them is one BatchGetItem of 16 small items, whatever the
brand's size. Nothing rewrites a shard: only ADDs, so concurrent facts never conflict on it.
"""

from __future__ import annotations

from msgspec import Struct

from ..domain.guards import Guard, Rule
from . import keys
from .models import TotalsItem
from .unit_of_work import UnitOfWork, dynamodb

FIELDS = ("points_balance", "points_pending", "points_debt", "wallet_principal", "wallet_bonus")


class Totals(Struct):
    points_balance: int = 0
    points_pending: int = 0
    points_debt: int = 0
    wallet_principal: int = 0
    wallet_bonus: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(getattr(self, f) + getattr(other, f) for f in FIELDS))


def stage_add(uow: UnitOfWork, member_id: str, **deltas: int) -> None:
    """Add the fact's changes (any of `FIELDS`) to the member's shard; nothing if all are 0
    (two facts of one write on the same shard are added up into one update)."""
    if any(deltas.values()):
        item = TotalsItem(pk=keys.TOTALS_PK, sk=keys.totals_sk(member_id))
        uow.add(Guard(Rule.TOTALS), item, deltas)


class TotalsStore:
    def read(self) -> Totals:
        """The sum of every shard (a shard no fact has touched yet counts 0)."""
        total = Totals()
        with dynamodb():
            for item in TotalsItem.batch_get(
                [(keys.TOTALS_PK, sk) for sk in keys.all_totals_sks()]
            ):
                total = total + Totals(*(int(getattr(item, f) or 0) for f in FIELDS))
        return total
