"""The brand's running totals: points and stored value outstanding, as the stream consumer has
folded them (`aggregates.figures`): sixteen slots, one per stream shard's hash, only ever ADDed
to; reading them is one BatchGetItem of 16 small items, whatever the brand's size. They are
behind the members by the stream's lag (about a second): `as_of` says how far.
"""

from __future__ import annotations

from msgspec import Struct

from . import keys
from .models import TotalsItem
from .unit_of_work import dynamodb

FIELDS = ("points_balance", "points_pending", "points_debt", "wallet_principal", "wallet_bonus")


class Totals(Struct):
    points_balance: int = 0
    points_pending: int = 0
    points_debt: int = 0
    wallet_principal: int = 0
    wallet_bonus: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(getattr(self, f) + getattr(other, f) for f in FIELDS))


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
