"""The brand's figures as the stream consumer keeps them: a batch's folded deltas ADDed in one
transaction with the consumer's place in that stream shard (`AGGPOS`, sk the shard id).

Exactly once: the place is read first, the changes at or before it are left out (a batch that
comes again, whole or split), and the transaction is conditioned on the place still being what
was read, so two deliveries of one batch at once add it once. The deltas and the place are one
transaction, so there is no moment where one is written and not the other. A batch whose
deltas do not fit one transaction (100 items) is written in chunks of whole changes, each with
the place after its last change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from msgspec import Struct
from pynamodb.expressions.update import Action

from ..domain.guards import Guard, Rule
from . import keys
from .models import AggregatePositionItem, Item, KpiCouponItem
from .unit_of_work import MAX_ITEMS, UnitOfWork, dynamodb, get_or_none

Target = tuple[type[Item], str, str]
KEEP = timedelta(days=2)  # a stream keeps records 24 h: a shard's place is not needed after
PER_TRANSACTION = MAX_ITEMS - 1  # the deltas beside the place
# A shard the consumer folded within this is being read: its place is the figures' watermark;
# one idle longer has nothing left behind (or its consumer is stuck: the books then say so).
ACTIVE = timedelta(minutes=15)


class Position(Struct, frozen=True):
    shard_id: str
    seq: str | None  # None: nothing folded from this shard yet
    last_at: datetime | None = None
    folded_at: datetime | None = None


def after(seq: str, position: str | None) -> bool:
    """Whether sequence number `seq` comes after `position` (numbers of any length)."""
    return position is None or int(seq) > int(position)


class AggregateStore:
    def position(self, shard_id: str) -> Position:
        item = get_or_none(AggregatePositionItem, keys.AGG_POSITION_PK, shard_id)
        if item is None:
            return Position(shard_id, None)
        return Position(shard_id, item.seq, item.last_at, item.folded_at)

    def positions(self) -> list[Position]:
        with dynamodb():
            return [
                Position(item.sk, item.seq, item.last_at, item.folded_at)
                for item in AggregatePositionItem.query(keys.AGG_POSITION_PK)
            ]

    def watermark(self, now: datetime) -> datetime | None:
        """The moment by which every change the figures count has been folded, in the books'
        own time: the earliest of what the stream shards the consumer is reading (folded in the
        last `ACTIVE`) have folded through; when none is, every shard has nothing left behind,
        and it is the latest. None: nothing folded yet."""
        known = [p for p in self.positions() if p.last_at is not None and p.folded_at]
        active = [p.last_at for p in known if now - p.folded_at < ACTIVE]  # type: ignore[operator]
        if active:
            return min(t for t in active if t is not None)
        return max((p.last_at for p in known if p.last_at is not None), default=None)

    def stage(
        self,
        uow: UnitOfWork,
        read: Position,
        seq: str,
        last_at: datetime,
        now: datetime,
        adds: dict[Target, dict[str, int]],
        template_of: dict[Target, str],
    ) -> None:
        """The deltas, and the place moved on to `seq`, if it is still `read`."""
        for (model, pk, sk), deltas in sorted(adds.items(), key=lambda t: (t[0][1], t[0][2])):
            item = model(pk=pk, sk=sk)
            actions: list[Action] = [
                getattr(model, name).add(value) for name, value in sorted(deltas.items())
            ]
            actions.append(Item.type.set(model))
            if model is KpiCouponItem:
                actions.append(KpiCouponItem.template_id.set(template_of[(model, pk, sk)]))
            uow.update(Guard(Rule.TOTALS), item, actions)
        place = AggregatePositionItem(keys.AGG_POSITION_PK, read.shard_id)
        unchanged = (
            AggregatePositionItem.pk.does_not_exist()
            if read.seq is None
            else AggregatePositionItem.seq == read.seq
        )
        uow.update(
            Guard(Rule.AGGREGATE_POSITION, read.shard_id),
            place,
            [
                AggregatePositionItem.seq.set(seq),
                AggregatePositionItem.last_at.set(last_at.astimezone(UTC)),
                AggregatePositionItem.folded_at.set(now),
                Item.ttl.set(int((now + KEEP).timestamp())),
                Item.type.set(AggregatePositionItem),
            ],
            unchanged,
        )
