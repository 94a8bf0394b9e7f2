"""The brand's running totals: points and stored value outstanding, as the stream consumer has
folded them (`aggregates.figures`): sixteen slots, one per stream shard's hash, only ever ADDed
to; reading them is one BatchGetItem of 16 small items, whatever the brand's size. They are
behind the members by the stream's lag (about a second): `as_of` says how far.
"""

from __future__ import annotations

from ..domain.books import FIELDS, Totals
from . import keys
from .models import TotalsItem
from .unit_of_work import dynamodb


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
