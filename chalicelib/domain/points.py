"""The points account: lots, balances and the ledger entries every change writes.

Pure: the account is loaded by the store, changed here in memory, and written back by the service
in one transaction. `balance` is the sum of vested lot remainders, `pending` the sum of pending
ones; `debt` is what refunds clawed back beyond what was left, paid off by the next credits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from msgspec import Struct, field
from msgspec.structs import replace

from .errors import InsufficientPoints, RefundExceedsOrder
from .money import money

FAR_FUTURE = datetime.max.replace(tzinfo=None)


class Lot(Struct):
    lot_id: str
    points: int
    remaining: int
    earned_at: datetime
    expires_at: datetime | None
    vests_at: datetime | None
    pending: bool
    order_id: str | None = None

    @property
    def live(self) -> bool:
        """Points left in it (pending or not); a lot with none is history, kept by the ledger."""
        return self.remaining > 0

    @property
    def due_at(self) -> datetime | None:
        """When time next changes it by itself: it vests, or (vested) it expires."""
        if not self.live:
            return None
        return self.vests_at if self.pending else self.expires_at

    def spend_key(self) -> tuple[datetime, datetime, str]:
        """Soonest-expiring first, then the oldest earned, then by id (a total order)."""
        expiry = self.expires_at.replace(tzinfo=None) if self.expires_at else FAR_FUTURE
        return (expiry, self.earned_at.replace(tzinfo=None), self.lot_id)


class Balances(Struct):
    balance: int = 0
    pending: int = 0
    debt: int = 0
    lifetime: int = 0


class Entry(Struct, frozen=True):
    """A ledger row. `points` is the change of balance + pending - debt; the deltas say where."""

    kind: str
    points: int
    reason: str
    order_id: str | None
    balance_delta: int = 0
    pending_delta: int = 0
    debt_delta: int = 0
    lots: tuple[tuple[str, int], ...] = ()


class LedgerRow(Struct, frozen=True):
    """An entry as the ledger keeps it: numbered in the member's sequence, with the running
    totals after it (the one shape of a ledger row, from the store to the API)."""

    entry_id: str
    seq: int
    kind: str
    points: int
    balance_delta: int
    pending_delta: int
    debt_delta: int
    balance_after: int
    pending_after: int
    debt_after: int
    reason: str
    order_id: str | None
    lots: tuple[tuple[str, int], ...]
    created_at: datetime


def ledger_rows(
    entries: Iterable[Entry],
    final: Balances,
    last_seq: int,
    now: datetime,
    new_id: Callable[[], str],
) -> list[LedgerRow]:
    """Number the entries after `last_seq` and give each its running totals, replayed from the
    balances before them (`final` minus every delta) so the last row ends at `final`."""
    entries = list(entries)
    balance = final.balance - sum(e.balance_delta for e in entries)
    pending = final.pending - sum(e.pending_delta for e in entries)
    debt = final.debt - sum(e.debt_delta for e in entries)
    rows = []
    for seq, entry in enumerate(entries, start=last_seq + 1):
        balance += entry.balance_delta
        pending += entry.pending_delta
        debt += entry.debt_delta
        rows.append(
            LedgerRow(
                entry_id=new_id(),
                seq=seq,
                kind=entry.kind,
                points=entry.points,
                balance_delta=entry.balance_delta,
                pending_delta=entry.pending_delta,
                debt_delta=entry.debt_delta,
                balance_after=balance,
                pending_after=pending,
                debt_after=debt,
                reason=entry.reason,
                order_id=entry.order_id,
                lots=entry.lots,
                created_at=now,
            )
        )
    return rows


# Lots one write settles at most (vested, expired): with the write's own items (the member,
# its journal item, an order, an idempotency record, coupons) within DynamoDB's 100 a transaction.
SETTLE_LOTS_PER_WRITE = 40


class PointsAccount(Struct):
    """`lots` holds every live lot (`complete`), or, when nothing was due (`next_due_at` after
    now), none of them: the balances alone then say what is spendable, enough to earn, and
    spending asks for the lots."""

    balances: Balances
    lots: dict[str, Lot]
    now: datetime
    complete: bool = True
    stored: set[str] = field(default_factory=set)  # the lots as loaded, to rewrite or delete
    new_lot_ids: list[str] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    entries: list[Entry] = field(default_factory=list)
    backlog: bool = False  # `settle` left lots due: more than one write holds

    @classmethod
    def load(cls, balances: Balances, lots: Iterable[Lot] | None, now: datetime) -> PointsAccount:
        """`lots=None`: the lots were not read because none of them is due before `now`."""
        held = {lot.lot_id: replace(lot) for lot in lots or ()}
        return cls(replace(balances), held, now, complete=lots is not None, stored=set(held))

    def restore(self, lot: Lot) -> None:
        """Bring back a spent lot (deleted once empty) from the terms a redemption kept."""
        if lot.lot_id not in self.lots:
            self.lots[lot.lot_id] = replace(lot, remaining=0, pending=False)

    def next_due(self, known: datetime | None) -> datetime | None:
        """When the soonest live lot vests or expires; without the lots, the sooner of what was
        `known` and the lots this account added."""
        dues = [due for lot in self.lots.values() if (due := lot.due_at) is not None]
        if not self.complete and known is not None:
            dues.append(known)
        return min(dues, default=None)

    def _need_lots(self) -> None:
        if not self.complete:
            raise RuntimeError("spending points needs the member's lots: load them")

    # -- bookkeeping -------------------------------------------------------------------------

    def _record(
        self,
        kind: str,
        reason: str,
        order_id: str | None,
        *,
        balance: int = 0,
        pending: int = 0,
        debt: int = 0,
        lots: tuple[tuple[str, int], ...] = (),
    ) -> Entry:
        entry = Entry(
            kind, balance + pending - debt, reason, order_id, balance, pending, debt, lots
        )
        self.balances.balance += balance
        self.balances.pending += pending
        self.balances.debt += debt
        self.entries.append(entry)
        return entry

    def _move(self, lot: Lot, delta: int) -> None:
        lot.remaining += delta
        assert 0 <= lot.remaining <= lot.points, (lot.lot_id, lot.remaining)
        self.touched.add(lot.lot_id)

    def _pay_debt_from(self, lot: Lot, order_id: str | None) -> None:
        pay = min(self.balances.debt, lot.remaining)
        if pay:
            self._move(lot, -pay)
            self._record(
                "debt_repayment",
                f"{pay} points paid off the debt left by earlier refunds",
                order_id,
                balance=-pay,
                debt=-pay,
                lots=((lot.lot_id, -pay),),
            )

    def spendable(self) -> list[Lot]:
        live = [
            lot
            for lot in self.lots.values()
            if not lot.pending
            and lot.remaining > 0
            and (lot.expires_at is None or lot.expires_at > self.now)
        ]
        return sorted(live, key=Lot.spend_key)

    @property
    def available(self) -> int:
        if not self.complete:  # nothing due: every vested point is spendable
            return self.balances.balance
        return sum(lot.remaining for lot in self.spendable())

    # -- what time does by itself ------------------------------------------------------------

    def settle(self, limit: int | None = None) -> None:
        """Vest what the return window has released, then expire what is past its day: at most
        `limit` lots each (the soonest due first), so that one transaction holds the write; what
        is left stays due (`backlog`) for the next write or the nightly job."""
        due = sorted(
            (lot for lot in self.lots.values() if lot.pending and lot.vests_at <= self.now),  # type: ignore[operator]
            key=lambda lot: (lot.vests_at, lot.lot_id),
        )
        if limit is not None and len(due) > limit:
            due, self.backlog = due[:limit], True
        for lot in due:
            lot.pending = False
            self.touched.add(lot.lot_id)
            if lot.remaining:
                self._record(
                    "vest",
                    f"{lot.remaining} pending points vested (return window ended)",
                    lot.order_id,
                    balance=lot.remaining,
                    pending=-lot.remaining,
                    lots=((lot.lot_id, 0),),
                )
                self._pay_debt_from(lot, lot.order_id)
        gone = [
            lot
            for lot in sorted(self.lots.values(), key=Lot.spend_key)
            if lot.remaining and not lot.pending and lot.expires_at and lot.expires_at <= self.now
        ]
        if limit is not None and len(gone) > limit:
            gone, self.backlog = gone[:limit], True
        if not gone:
            return
        # one ledger row for all the lots that ended, each lot's part kept on the row
        taken = tuple((lot.lot_id, -lot.remaining) for lot in gone)
        amount = sum(lot.remaining for lot in gone)
        earned = sorted({lot.earned_at.date().isoformat() for lot in gone})
        when = earned[0] if len(earned) == 1 else f"{earned[0]} to {earned[-1]}"
        lots = f"{len(gone)} lots, " if len(gone) > 1 else ""
        for lot in gone:
            self._move(lot, -lot.remaining)
        self._record(
            "expire",
            f"{amount} points expired ({lots}earned {when})",
            gone[0].order_id if len(gone) == 1 else None,
            balance=-amount,
            lots=taken,
        )

    # -- use cases ---------------------------------------------------------------------------

    def earn(self, lot: Lot, reason: str, kind: str = "earn") -> None:
        """Credit a new lot (`kind`: a purchase's `earn`, a `checkin`); pending until it vests,
        paying debt first once vested."""
        if lot.points <= 0:
            return
        lot = replace(lot, remaining=lot.points)
        lot.pending = lot.vests_at is not None and lot.vests_at > self.now
        self.lots[lot.lot_id] = lot
        self.new_lot_ids.append(lot.lot_id)
        self.touched.add(lot.lot_id)
        self.balances.lifetime += lot.points
        if lot.pending:
            self._record(kind, reason, lot.order_id, pending=lot.points, lots=((lot.lot_id, 0),))
        else:
            self._record(kind, reason, lot.order_id, balance=lot.points, lots=((lot.lot_id, 0),))
            self._pay_debt_from(lot, lot.order_id)

    def redeem(
        self, points: int, order_id: str, reason: str, kind: str = "redeem"
    ) -> list[tuple[str, int]]:
        """Spend vested points, soonest-expiring first; never below zero."""
        self._need_lots()
        if points > self.available:
            raise InsufficientPoints(
                f"the member has {self.available} spendable points, {points} were asked for",
                param="points",
            )
        allocations: list[tuple[str, int]] = []
        left = points
        for lot in self.spendable():
            take = min(left, lot.remaining)
            self._move(lot, -take)
            allocations.append((lot.lot_id, take))
            left -= take
            if not left:
                break
        self._record(
            kind,
            reason,
            order_id,
            balance=-points,
            lots=tuple((lot_id, -take) for lot_id, take in allocations),
        )
        return allocations

    def claw_back(self, points: int, order_id: str, own_lot_id: str | None, reason: str) -> None:
        """Take back what a refunded order earned: its own lot first (pending or not), then
        other spendable points soonest-expiring first, and the rest as debt."""
        self._need_lots()
        if points <= 0:
            return
        left = points
        moves: list[tuple[str, int]] = []
        pending_delta = balance_delta = 0
        sources = [self.lots[own_lot_id]] if own_lot_id in self.lots else []
        sources += [lot for lot in self.spendable() if lot.lot_id != own_lot_id]
        for lot in sources:
            take = min(left, lot.remaining)
            if not take:
                continue
            self._move(lot, -take)
            moves.append((lot.lot_id, -take))
            if lot.pending:
                pending_delta -= take
            else:
                balance_delta -= take
            left -= take
            if not left:
                break
        self.balances.lifetime -= points
        self._record(
            "clawback",
            reason,
            order_id,
            balance=balance_delta,
            pending=pending_delta,
            debt=left,
            lots=tuple(moves),
        )

    def give_back(self, returns: list[tuple[str, int]], order_id: str, reason: str) -> None:
        """Return redeemed points to the lots they came from, with their original expiry."""
        self._need_lots()
        returns = [(lot_id, n) for lot_id, n in returns if n > 0]
        if not returns:
            return
        for lot_id, n in returns:
            self._move(self.lots[lot_id], n)
        total = sum(n for _, n in returns)
        self._record("redeem_return", reason, order_id, balance=total, lots=tuple(returns))
        for lot_id, _ in returns:
            self._pay_debt_from(self.lots[lot_id], order_id)
        # A lot whose day has passed meanwhile expires again at once, visibly in the ledger.
        self.settle()

    # -- a merge (合并): what one member's account holds moves to another's ----------------------

    def hand_over(self, limit: int, into: str) -> Handover:
        """Take up to `limit` live lots out (soonest-expiring first), and with the last of them
        the debt and the lifetime points: one `merge_out` row, for `into` to take in."""
        self._need_lots()
        live = sorted((lot for lot in self.lots.values() if lot.live), key=Lot.spend_key)
        moving = [replace(lot) for lot in live[:limit]]
        last = len(live) <= limit
        debt = self.balances.debt if last else 0
        lifetime = self.balances.lifetime if last else 0
        for lot in moving:
            self._move(self.lots[lot.lot_id], -lot.remaining)
        handover = Handover(tuple(moving), debt, lifetime, last)
        if moving or debt:
            self._record(
                "merge_out",
                f"merged into {into}: {handover.describe()}",
                None,
                balance=-handover.vested,
                pending=-handover.pending,
                debt=-debt,
                lots=tuple((lot.lot_id, -lot.remaining) for lot in moving),
            )
        self.balances.lifetime -= lifetime
        return handover

    def take_over(self, handover: Handover, source: str) -> None:
        """The lots handed over, as they were (their expiry and vesting kept), and the debt:
        one `merge_in` row; a debt is then paid off from what is spendable, as any credit does."""
        self._need_lots()
        for lot in handover.lots:
            self.lots[lot.lot_id] = replace(lot)
            self.new_lot_ids.append(lot.lot_id)
            self.touched.add(lot.lot_id)
        self.balances.lifetime += handover.lifetime
        if handover.lots or handover.debt:
            self._record(
                "merge_in",
                f"merged from {source}: {handover.describe()}",
                None,
                balance=handover.vested,
                pending=handover.pending,
                debt=handover.debt,
                lots=tuple((lot.lot_id, lot.remaining) for lot in handover.lots),
            )
        for lot in self.spendable():
            if not self.balances.debt:
                break
            self._pay_debt_from(lot, None)


class Handover(Struct, frozen=True):
    """What one merge step moves from one account to another."""

    lots: tuple[Lot, ...]
    debt: int
    lifetime: int
    last: bool  # nothing is left behind

    @property
    def vested(self) -> int:
        return sum(lot.remaining for lot in self.lots if not lot.pending)

    @property
    def pending(self) -> int:
        return sum(lot.remaining for lot in self.lots if lot.pending)

    def describe(self) -> str:
        parts = [f"{self.vested} points", f"{self.pending} pending"]
        if self.debt:
            parts.append(f"{self.debt} debt")
        lots = len(self.lots)
        return f"{', '.join(parts)} in {lots} lot{'' if lots == 1 else 's'}"


def proportional(total: int, part: int, whole: int) -> int:
    """floor(total × part / whole): partial refunds round down, a full refund settles exactly."""
    return total * part // whole


class RefundPlan(Struct, frozen=True):
    refunded_after: int
    clawback: int
    returns: list[tuple[str, int]]


def plan_refund(
    *,
    order_amount: int,
    refunded_before: int,
    refund_amount: int,
    points_earned: int,
    clawed_before: int,
    redeemed: list[tuple[str, int, int]],
    expiry_of: Callable[[str], datetime | None],
    currency: str = "",
) -> RefundPlan:
    """Cumulative targets, so several partial refunds add up to exactly what one full refund does.

    `redeemed` lists (lot_id, points taken, points already returned) of the order's redemption;
    points go back to the latest-expiring lots first, which keeps the member's points alive longest.
    """
    refunded_after = refunded_before + refund_amount
    if refunded_after > order_amount:
        raise RefundExceedsOrder(
            f"{money(refunded_before, currency)} of {money(order_amount, currency)} already "
            f"refunded; {money(refund_amount, currency)} more is too much",
            param="amount",
        )
    clawback = proportional(points_earned, refunded_after, order_amount) - clawed_before
    redeemed_total = sum(taken for _, taken, _ in redeemed)
    returned_before = sum(back for _, _, back in redeemed)
    to_return = proportional(redeemed_total, refunded_after, order_amount) - returned_before
    returns: list[tuple[str, int]] = []
    by_late_expiry = sorted(
        redeemed,
        key=lambda r: (expiry_of(r[0]) or datetime.max).replace(tzinfo=None),
        reverse=True,
    )
    for lot_id, taken, back in by_late_expiry:
        give = min(to_return, taken - back)
        if give:
            returns.append((lot_id, give))
            to_return -= give
    return RefundPlan(refunded_after, clawback, returns)
