"""The brand's figures, kept from the stream: what each change of a member's items adds to the
running totals (points and stored value outstanding), to a brand-local day's flows and marks, to
the standing counts (members, tiers, coupons issued per template) and to a day's coupons by
template. A checkout writes none of them: no item two members' writes share.

`fold` is the rule: a change's old and new images say exactly what moved (the member's balances
and standing before and after, a journal's rows, an order recorded or refunded, a coupon issued,
used or given back, a wallet's parts). The rules of what a member's change adds are the domain's
(`domain.kpis`); this module reads them off the images. The consumer adds a batch's folded
deltas in one transaction with its place in the stream (`store.aggregates`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from msgspec import Struct, field

from ..domain import kpis
from ..domain.guards import WriteRejected
from ..domain.members import Standing
from ..store import keys
from ..store.aggregates import PER_TRANSACTION, AggregateStore, Position, after
from ..store.ledger import rows_of
from ..store.models import (
    CouponItem,
    Item,
    JournalItem,
    KpiCountItem,
    KpiCouponItem,
    KpiDayItem,
    MemberItem,
    OrderItem,
    TotalsItem,
    WalletItem,
)
from ..store.stream import Change
from ..store.unit_of_work import UnitOfWork

Target = tuple[type[Item], str, str]  # the model, pk, sk of an item only ever ADDed to


class Fold(Struct):
    """Deltas by target, summed over the changes folded so far."""

    adds: dict[Target, dict[str, int]] = field(default_factory=dict)
    template_of: dict[Target, str] = field(default_factory=dict)  # a coupon figure's template

    def add(self, target: Target, **deltas: int) -> None:
        moved = {name: value for name, value in deltas.items() if value}
        if not moved:
            return
        summed = self.adds.setdefault(target, {})
        for name, value in moved.items():
            summed[name] = summed.get(name, 0) + value

    def targets_with(self, change: Change, zone: ZoneInfo, slot: str) -> set[Target]:
        """The targets this fold would have with `change` folded in (nothing is changed)."""
        trial = Fold()
        trial.fold(change, zone, slot)
        return set(self.adds) | set(trial.adds)

    def fold(self, change: Change, zone: ZoneInfo, slot: str) -> None:
        """Add what `change` moves; `slot` (a shard of each figure) is the stream shard's, so
        two consumers of two shards seldom write the same figure item at once."""
        new, old = change.new, change.old
        if isinstance(new, MemberItem):
            self._member(old if isinstance(old, MemberItem) else None, new, zone, slot)
        elif isinstance(new, JournalItem) and change.name == "INSERT":
            self._journal(new, zone, slot)
        elif isinstance(new, OrderItem):
            self._order(old if isinstance(old, OrderItem) else None, new, zone, slot)
        elif isinstance(new, CouponItem):
            self._coupon(old if isinstance(old, CouponItem) else None, new, zone, slot)
        elif isinstance(new, WalletItem):
            before = old if isinstance(old, WalletItem) else None
            self.add(
                (TotalsItem, keys.TOTALS_PK, slot),
                wallet_principal=int(new.principal) - (int(before.principal) if before else 0),
                wallet_bonus=int(new.bonus) - (int(before.bonus) if before else 0),
            )

    # -- by item type --------------------------------------------------------------------------

    def _member(self, old: MemberItem | None, new: MemberItem, zone: ZoneInfo, slot: str) -> None:
        before, after = (standing(old) if old else None), standing(new)
        today = _day(new.created_at if old is None else new.updated_at, zone)
        self.add(_day_target(today, slot), **kpis.member_flows(before, after, today))
        for key, delta in kpis.moved(kpis.marks(before), kpis.marks(after)).items():
            name, _, on = key.partition("@")
            if name in kpis.DAY_MARKS:
                self.add(_day_target(on, slot), **{name: delta})
            else:  # "members", "tier@<tier>"
                self.add((KpiCountItem, keys.KPI_COUNT_PK, f"{key}#{slot}"), n=delta)
        self.add(
            (TotalsItem, keys.TOTALS_PK, slot),
            points_balance=int(new.points_balance) - (int(old.points_balance) if old else 0),
            points_pending=int(new.points_pending) - (int(old.points_pending) if old else 0),
            points_debt=int(new.points_debt) - (int(old.points_debt) if old else 0),
        )

    def _journal(self, item: JournalItem, zone: ZoneInfo, slot: str) -> None:
        by_day: dict[str, list[object]] = {}
        for row in rows_of(item):
            by_day.setdefault(_day(row.created_at, zone), []).append(row)
        for day, rows in by_day.items():
            self.add(_day_target(day, slot), **kpis.points_flows(rows))  # type: ignore[arg-type]

    def _order(self, old: OrderItem | None, new: OrderItem, zone: ZoneInfo, slot: str) -> None:
        if new.merged_from is not None:  # moved by a merge: counted when it was recorded
            return
        if old is None:
            day = _day(new.recorded_at or new.occurred_at, zone)
            self.add(_day_target(day, slot), orders=1, sales=int(new.amount))
            return
        refunded = int(new.refunded_amount or 0) - int(old.refunded_amount or 0)
        if refunded > 0:
            day = _day(new.refunded_at or new.occurred_at, zone)
            self.add(_day_target(day, slot), refunds=1, refunded_amount=refunded)

    def _coupon(self, old: CouponItem | None, new: CouponItem, zone: ZoneInfo, slot: str) -> None:
        template = new.template_id
        if old is None:
            if new.merged_from is not None:  # moved by a merge: issued before
                return
            self.add((KpiCountItem, keys.KPI_COUNT_PK, f"issued@{template}#{slot}"), n=1)
            used = {"redeemed": 1} if new.status == "redeemed" else {}  # a shared code claimed
            self._coupon_day(_day(new.issued_at, zone), template, slot, issued=1, **used)
        elif old.status != "redeemed" and new.status == "redeemed":
            at = new.redeemed_at or new.issued_at
            self._coupon_day(_day(at, zone), template, slot, redeemed=1)
        elif old.status == "redeemed" and new.status != "redeemed":
            at = new.released_at or new.issued_at
            self._coupon_day(_day(at, zone), template, slot, released=1)

    def _coupon_day(self, day: str, template: str, slot: str, **deltas: int) -> None:
        target: Target = (KpiCouponItem, keys.KPI_COUPON_PK, f"{day}#{template}#{slot}")
        self.template_of[target] = template
        self.add(target, **deltas)


def standing(item: MemberItem) -> Standing:
    """What the figures count of a member, from its item (`kpis.marks`)."""
    return Standing(
        item.merged_into,
        len(item.merged_from or []),
        item.tier,
        item.active_day,
        item.purchase_day,
        item.prev_purchase_day,
    )


def _day(at: datetime, zone: ZoneInfo) -> str:
    return kpis.day_of(at, zone)


def _day_target(day: str, slot: str) -> Target:
    return (KpiDayItem, keys.KPI_PK, f"{day}#{slot}")


def fold_all(changes: Iterable[Change], zone: ZoneInfo, slot: str) -> Fold:
    folded = Fold()
    for change in changes:
        folded.fold(change, zone, slot)
    return folded


# -- keeping them --------------------------------------------------------------------------------

ATTEMPTS = 8


def keep(
    changes: Iterable[Change],
    shard_id: str,
    zone: ZoneInfo,
    store: AggregateStore,
    transactions: Callable[[], UnitOfWork],
    now: Callable[[], datetime],
    backoff: Callable[[int], None],
) -> int:
    """Fold the changes of one stream shard the figures have not yet seen into them, exactly
    once; returns how many changes were folded. A conflict with the consumer of another shard
    (the same slot, at the same moment) is tried again; what still fails raises, and the batch
    comes again (what was kept of it is skipped then)."""
    ordered = sorted((c for c in changes if c.sequence.isdigit()), key=lambda c: int(c.sequence))
    slot = keys.slot_of(shard_id)
    for attempt in range(ATTEMPTS):
        read = store.position(shard_id)
        todo = [c for c in ordered if after(c.sequence, read.seq)]
        try:
            return _keep_chunks(todo, read, slot, zone, store, transactions, now)
        except WriteRejected:
            backoff(attempt)
    raise WriteRejected([], conflict=True)


def _keep_chunks(
    todo: list[Change],
    read: Position,
    slot: str,
    zone: ZoneInfo,
    store: AggregateStore,
    transactions: Callable[[], UnitOfWork],
    now: Callable[[], datetime],
) -> int:
    folded, chunk = 0, Fold()
    last: Change | None = None
    through = read.last_at
    for change in todo:
        if last is not None and len(chunk.targets_with(change, zone, slot)) >= PER_TRANSACTION:
            read = _commit(chunk, read, last, through, store, transactions, now)
            chunk = Fold()
        chunk.fold(change, zone, slot)
        last = change
        moment = fact_at(change)
        if moment is not None and (through is None or moment > through):
            through = moment
        folded += 1
    if last is not None:
        _commit(chunk, read, last, through, store, transactions, now)
    return folded


def fact_at(change: Change) -> datetime | None:
    """When a fact the books keep happened, by the clock of the write that made it (the time
    the books keep too, to the microsecond): the watermark is in the books' own time. None for
    an item the totals do not count."""
    new = change.new
    if isinstance(new, MemberItem | WalletItem):
        return new.updated_at
    if isinstance(new, JournalItem):
        return max(row.created_at for row in rows_of(new))
    return None


def _commit(
    chunk: Fold,
    read: Position,
    last: Change,
    through: datetime | None,
    store: AggregateStore,
    transactions: Callable[[], UnitOfWork],
    now: Callable[[], datetime],
) -> Position:
    at = through or last.at
    uow = transactions()
    store.stage(uow, read, last.sequence, at, now(), chunk.adds, chunk.template_of)
    uow.commit()
    return Position(read.shard_id, last.sequence, at)
