"""What a member merge (合并) moves besides the points and the wallet: the records in the source
member's partition (coupons, orders, redemptions, wallet payments, once-only ids, the coupons on
orders, referred friends, per-template coupon counts) re-homed in the survivor's, and the record
of the merge (`MERGED#<source>` in the survivor's partition, whose stream record is the
`member.merged` event).

A moved record is put in the survivor's partition only if nothing is there under its key, and
deleted from the source in the same transaction, so a step repeated after a crash finds only
what is left to move. Where the survivor has a record under the same key already (the same
order id at both members), the source's stays where it is and the merge says so.
"""

from __future__ import annotations

import json
from datetime import datetime

from msgspec import Struct
from pynamodb.expressions.update import Action

from ..domain.guards import Guard, Rule
from ..domain.merge import MergeRecord
from . import keys
from .models import CouponCountItem, CouponItem, Item, MergeItem, OrderItem
from .unit_of_work import UnitOfWork, dynamodb, get_or_none

# The source partition's records a merge moves, by the prefix of their sort keys.
MOVED_PREFIXES = (
    keys.COUPON_PREFIX,
    "CPNCOUNT#",
    "ORDERCPN#",
    "ORDER#",
    "REDEEM#",
    "REFERRED#",
    "WPAY#",  # refundable at the survivor, from the bonus records its wallet took in
    "ONCE#",  # a refund or withdrawal id used at the merged member stays used
)


class Batch(Struct):
    """One step's records: to move, and those the survivor has a record of its own under."""

    moving: list[Item]
    kept: list[str]  # sort keys left with the source
    more: bool  # more records wait after this batch


class MergeStore:
    def record(self, target_id: str, source_id: str) -> MergeRecord | None:
        item = get_or_none(MergeItem, keys.member_pk(target_id), keys.merge_sk(source_id))
        if item is None:
            return None
        return MergeRecord(json.loads(item.moved), list(item.kept or []), item.merged_at)

    def records(self, source_id: str, target_id: str, limit: int, skip: set[str]) -> Batch:
        """Up to `limit` of the source's records still to move (the sort keys in `skip` are
        known to stay), and which of them the survivor holds a record under already."""
        found: list[Item] = []
        more = False
        with dynamodb():
            for prefix in MOVED_PREFIXES:
                for item in Item.query(keys.member_pk(source_id), Item.sk.startswith(prefix)):
                    if item.sk in skip:
                        continue
                    if len(found) == limit:
                        more = True
                        break
                    found.append(item)
                if more:
                    break
            taken: set[str] = set()
            wanted = [(keys.member_pk(target_id), i.sk) for i in found if _copied(i)]
            if wanted:
                taken = {item.sk for item in Item.batch_get(wanted)}
        moving = [item for item in found if item.sk not in taken]
        return Batch(moving, sorted(taken), more)

    def stage_moves(
        self, uow: UnitOfWork, items: list[Item], source_id: str, target_id: str
    ) -> None:
        """Each record out of the source's partition and into the survivor's; a coupon count is
        added to the survivor's own (its per-member limits count what it holds now)."""
        target_pk = keys.member_pk(target_id)
        for item in items:
            uow.delete(Guard(Rule.MERGE_MOVED, item.sk), type(item)(item.pk, item.sk))
            if isinstance(item, CouponCountItem):
                count = CouponCountItem(target_pk, item.sk, template_id=item.template_id)
                actions: list[Action] = [
                    CouponCountItem.held.add(int(item.held or 0)),
                    CouponCountItem.template_id.set(item.template_id),
                    Item.type.set(CouponCountItem),
                ]
                uow.update(Guard(Rule.MERGE_MOVED, item.sk), count, actions)
                continue
            item.pk = target_pk
            if isinstance(item, CouponItem | OrderItem):
                # moved, not issued or recorded: no coupon.issued event, no order in the figures
                item.merged_from = source_id
            uow.put(Guard(Rule.MERGE_MOVED, item.sk), item, Item.pk.does_not_exist())

    def stage_record(
        self,
        uow: UnitOfWork,
        target_id: str,
        source_id: str,
        moved: dict[str, int],
        kept: list[str],
        now: datetime,
    ) -> None:
        item = MergeItem(
            pk=keys.member_pk(target_id),
            sk=keys.merge_sk(source_id),
            member_id=target_id,
            from_member_id=source_id,
            moved=json.dumps(moved, sort_keys=True),
            kept=kept or None,
            merged_at=now,
        )
        uow.put(Guard(Rule.MERGE_IS_NEW, source_id), item, Item.pk.does_not_exist())


def _copied(item: Item) -> bool:
    """A coupon count is added to the survivor's, never refused for being there already."""
    return not isinstance(item, CouponCountItem)
