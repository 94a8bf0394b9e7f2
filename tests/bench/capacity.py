"""Capacity units the way DynamoDB bills them, computed from the items a call reads and writes.

moto reports constants, and DynamoDB Local's figures (printed beside these where it runs) follow
its own reading of the rules, so the bench computes them from the published ones:

- a write is billed on the larger of the item before and after it, 1 WCU per started KB
  (2 in a transaction); a delete on the item it removes;
- every secondary index whose entry the write changes costs an index write of 1 WCU per KB of
  the index entry: a new key puts one, a removed key deletes one, a changed key does both, and an
  unchanged key costs nothing unless an attribute the index projects changed (an index projecting
  ALL changes with any attribute; KEYS_ONLY only with its keys);
- a read is billed on the items read, not returned: 0.5 RCU per started 4 KB eventually
  consistent (a query's items summed before rounding, a filter's discarded items included),
  2 per 4 KB for a transaction's condition check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

KB = 1024


def value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "B":
        return len(inner)
    if kind == "N":
        return math.ceil(len(inner.lstrip("-").replace(".", "").lstrip("0") or "0") / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    if kind == "M":
        return 3 + sum(len(k) + value_size(v) + 1 for k, v in inner.items())
    if kind == "SS":
        return sum(len(v.encode()) for v in inner)
    if kind == "BS":
        return sum(len(v) for v in inner)
    if kind == "NS":
        return sum(math.ceil(len(v.lstrip("-").replace(".", "")) / 2) + 1 for v in inner)
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def kb(size: int) -> int:
    return max(1, math.ceil(size / KB))


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]  # the index's own key attributes
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    include: tuple[str, ...] = ()

    def entry(self, item: dict[str, Any] | None) -> dict[str, Any] | None:
        """The index's copy of `item`, or None when the item carries no key of this index."""
        if not item or any(key not in item for key in self.keys):
            return None
        if self.projection == "ALL":
            return item
        wanted = {"pk", "sk", *self.keys, *self.include}
        return {name: value for name, value in item.items() if name in wanted}

    def writes(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> int:
        before, after = self.entry(old), self.entry(new)
        if before == after:
            return 0
        same_key = (
            before is not None
            and after is not None
            and all(before[k] == after[k] for k in self.keys)
        )
        if same_key:
            return kb(item_size(after))
        return (kb(item_size(before)) if before else 0) + (kb(item_size(after)) if after else 0)


def indexes_of(model: Any) -> list[Index]:
    """The secondary indexes a PynamoDB model declares, with their projections."""
    found = []
    for index in model._indexes.values():
        meta = index.Meta
        keys = tuple(attribute.attr_name for attribute in meta.attributes.values())
        projection = meta.projection.projection_type
        include = tuple(getattr(meta.projection, "non_key_attributes", None) or ())
        found.append(Index(meta.index_name, keys, projection, include))
    return found


@dataclass
class Write:
    """One item written: as it was before and as it is after (None: absent)."""

    old: dict[str, Any] | None
    new: dict[str, Any] | None

    def base_units(self, transactional: bool) -> int:
        units = kb(max(item_size(self.old), item_size(self.new)))
        return 2 * units if transactional else units

    def index_units(self, indexes: list[Index]) -> dict[str, int]:
        return {index.name: index.writes(self.old, self.new) for index in indexes}
