"""Refused coupon codes counted per API key and minute, so codes cannot be guessed by trying."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from . import keys
from .models import Item, RateItem
from .unit_of_work import dynamodb, get_or_none


class RefusalCounter:
    def count(self, principal: str, minute: str) -> int:
        item = get_or_none(RateItem, keys.rate_pk(principal, minute), keys.RATE_SK)
        return 0 if item is None else int(item.failures or 0)

    def add(self, principal: str, minute: str, limit: int, expires: int) -> bool:
        """Count one refusal, atomically and never past `limit` (one conditional ADD); False if
        the key had already reached it this minute."""
        item = RateItem(pk=keys.rate_pk(principal, minute), sk=keys.RATE_SK)
        under = RateItem.failures.does_not_exist() | (RateItem.failures < limit)
        with dynamodb():
            try:
                item.update(
                    actions=[
                        RateItem.failures.add(1),
                        Item.ttl.set(expires),
                        Item.type.set(RateItem),
                    ],
                    condition=under,
                )
            except UpdateError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise
        return True
