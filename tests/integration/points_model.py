"""A plain reference model of the points rules, written for the tests apart from the production
code: lots with their own expiry, soonest-expiring spent first, proportional clawback from the
order's own lot first, debt, points given back to the lots they came from (latest-expiring
first, with their original expiry), debt paid by whatever vests or comes back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")
FAR = datetime.max.replace(tzinfo=None)


def month_later(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError


def expiry_after_a_month(earned: datetime) -> datetime:
    """Spendable through the same local day a month later; gone at the local midnight after."""
    last = month_later(earned.astimezone(ZONE).date())
    return datetime.combine(last + timedelta(days=1), time.min, tzinfo=ZONE)


@dataclass
class Lot:
    lot_id: str
    points: int
    remaining: int
    earned_at: datetime
    expires_at: datetime
    vests_at: datetime
    pending: bool

    def order_key(self) -> tuple[datetime, datetime, str]:
        return (
            self.expires_at.replace(tzinfo=None),
            self.earned_at.replace(tzinfo=None),
            self.lot_id,
        )


@dataclass
class Order:
    amount: int
    earned: int
    lot_id: str | None
    refunded: int = 0
    clawed: int = 0


@dataclass
class Model:
    return_days: int
    lots: dict[str, Lot] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    redeemed: dict[str, list[list]] = field(default_factory=dict)  # order -> [lot, taken, back]
    balance: int = 0
    pending: int = 0
    debt: int = 0
    expired: int = 0  # points lost to expiry, all told

    # -- time ---------------------------------------------------------------------------------

    def _pay_debt(self, lot: Lot) -> None:
        pay = min(self.debt, lot.remaining)
        lot.remaining -= pay
        self.balance -= pay
        self.debt -= pay

    def settle(self, now: datetime) -> None:
        for lot in sorted(
            (x for x in self.lots.values() if x.pending and x.vests_at <= now),
            key=lambda x: (x.vests_at, x.lot_id),
        ):
            lot.pending = False
            self.pending -= lot.remaining
            self.balance += lot.remaining
            self._pay_debt(lot)
        for lot in sorted(self.lots.values(), key=Lot.order_key):
            if not lot.pending and lot.remaining and lot.expires_at <= now:
                self.balance -= lot.remaining
                self.expired += lot.remaining
                lot.remaining = 0

    def expiring(self, last_day: date, now: datetime) -> int:
        """What is left of the lots whose last spendable local day is `last_day`."""
        self.settle(now)
        return sum(
            x.remaining
            for x in self.lots.values()
            if (x.expires_at.astimezone(ZONE) - timedelta(days=1)).date() == last_day
        )

    def spendable(self, now: datetime) -> list[Lot]:
        live = [
            x for x in self.lots.values() if not x.pending and x.remaining and x.expires_at > now
        ]
        return sorted(live, key=Lot.order_key)

    # -- what the member does ---------------------------------------------------------------

    def purchase(self, order_id: str, amount: int, lot_id: str, now: datetime) -> None:
        self.settle(now)
        earned = amount // 100  # 1 point per 1.00, rounded down
        self.orders[order_id] = Order(amount, earned, lot_id if earned else None)
        if not earned:
            return
        lot = Lot(
            lot_id,
            earned,
            earned,
            now,
            expiry_after_a_month(now),
            now + timedelta(days=self.return_days),
            pending=self.return_days > 0,
        )
        self.lots[lot_id] = lot
        if lot.pending:
            self.pending += earned
        else:
            self.balance += earned
            self._pay_debt(lot)

    def spend(self, points: int, now: datetime) -> list[list] | None:
        """Soonest-expiring first; None (nothing changes) when fewer points are spendable."""
        self.settle(now)
        lots = self.spendable(now)
        if points > sum(x.remaining for x in lots):
            return None
        taken, left = [], points
        for lot in lots:
            take = min(left, lot.remaining)
            if take:
                lot.remaining -= take
                taken.append([lot.lot_id, take, 0])
                left -= take
        self.balance -= points
        return taken

    def refund(self, order_id: str, amount: int, now: datetime) -> None:
        self.settle(now)
        order = self.orders[order_id]
        refunded = order.refunded + amount
        claw = order.earned * refunded // order.amount - order.clawed
        order.refunded, order.clawed = refunded, order.clawed + claw
        # claw back: the order's own lot first (pending or not), then soonest-expiring
        sources = [self.lots[order.lot_id]] if order.lot_id else []
        sources += [x for x in self.spendable(now) if x.lot_id != order.lot_id]
        left = claw
        for lot in sources:
            take = min(left, lot.remaining)
            lot.remaining -= take
            if lot.pending:
                self.pending -= take
            else:
                self.balance -= take
            left -= take
        self.debt += left
        # give back what was redeemed on this order, latest-expiring lots first
        allocations = self.redeemed.get(order_id, [])
        total = sum(a[1] for a in allocations)
        to_return = total * refunded // order.amount - sum(a[2] for a in allocations)
        returned = []
        for a in sorted(allocations, key=lambda a: self.lots[a[0]].expires_at, reverse=True):
            give = min(to_return, a[1] - a[2])
            if give:
                self.lots[a[0]].remaining += give
                self.balance += give
                a[2] += give
                to_return -= give
                returned.append(a[0])
        for lot_id in returned:
            self._pay_debt(self.lots[lot_id])
        self.settle(now)  # a lot given back after its day expires again at once
