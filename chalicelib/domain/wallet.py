"""Stored value (储值): a member's prepaid money, in minor units, held as two parts.

Pure: the store loads a `Wallet`, a use case changes it here in memory, and the store writes the
wallet, its entries and the business record back in one transaction.

`principal` is money paid in; `bonus` is money given by top-up rules, kept per top-up as a
`Grant` (so bonus money can expire, and a withdrawal can take back what its top-up gave). Every
change is an `Entry` with the split and the running balances after it; the entries add up to the
parts, and the grants' `left` add up to the bonus.

Rounding, to the cent and never in the member's disfavour by more than one minor unit:
- a payment's bonus part is floor(amount × bonus / balance) (`proportional`), the rest principal;
- a refund gives back to each part its share of the refunded total so far, floor for the bonus,
  so refunding a payment in full gives back exactly what it took;
- a withdrawal takes back ceil(withdrawn so far × top-up bonus / top-up principal) of that
  top-up's bonus, so withdrawing a top-up in full takes back all of its bonus; the part of that
  share the member already spent is kept out of the principal (the member cannot pocket bonus
  money by spending it first); a share that expired is not charged again.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from msgspec import Struct, field

from .errors import (
    InsufficientFunds,
    RefundExceedsPayment,
    ValidationFailed,
    WalletFrozen,
    WithdrawalRefused,
)
from .money import money
from .program import WalletRules

SpendOrder = Literal["proportional", "bonus_first", "principal_first"]
EntryKind = Literal[
    "topup",
    "payment",
    "refund",
    "withdrawal",
    "bonus_expire",
    "freeze",
    "unfreeze",
    "merge_out",
    "merge_in",
]
FAR = datetime.max


class Grant(Struct):
    """The bonus one top-up gave: what is left of it, and where the rest went."""

    payment_id: str
    given: int
    left: int
    expires_at: datetime | None = None
    expired: int = 0  # lost to expiry
    taken: int = 0  # taken back by withdrawals of its top-up
    recovered: int = 0  # of what the member spent, kept out of principal by withdrawals

    @property
    def spent(self) -> int:
        """Spent on payments and not given back by refunds."""
        return self.given - self.left - self.expired - self.taken

    def spend_key(self) -> tuple[datetime, str]:
        """Soonest-expiring first (bonus without expiry last), then by top-up."""
        ends = self.expires_at.replace(tzinfo=None) if self.expires_at else FAR
        return ends, self.payment_id


class Entry(Struct, frozen=True):
    seq: int
    kind: str
    principal_delta: int
    bonus_delta: int
    principal_after: int
    bonus_after: int
    reason: str
    reference: str | None
    created_at: datetime
    channel: str | None = None


class Wallet(Struct):
    principal: int = 0
    bonus: int = 0
    frozen: bool = False
    frozen_reason: str | None = None
    seq: int = 0  # entries written so far
    version: int = 0  # 0: not stored yet
    grants: list[Grant] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)  # this write's, not yet stored
    currency: str = ""  # not stored here: what messages write amounts in

    def _money(self, amount: int) -> str:
        return money(amount, self.currency)

    @property
    def balance(self) -> int:
        return self.principal + self.bonus

    def grant(self, payment_id: str) -> Grant | None:
        return next((g for g in self.grants if g.payment_id == payment_id), None)

    # -- changes --------------------------------------------------------------------------

    def _entry(
        self,
        kind: str,
        principal: int,
        bonus: int,
        reason: str,
        reference: str | None,
        now: datetime,
        channel: str | None = None,
    ) -> Entry:
        self.principal += principal
        self.bonus += bonus
        if self.principal < 0 or self.bonus < 0:  # the rules below make this impossible
            raise AssertionError(f"wallet part below zero: {self.principal}/{self.bonus}")
        self.seq += 1
        entry = Entry(
            seq=self.seq,
            kind=kind,
            principal_delta=principal,
            bonus_delta=bonus,
            principal_after=self.principal,
            bonus_after=self.bonus,
            reason=reason,
            reference=reference,
            created_at=now,
            channel=channel,
        )
        self.entries.append(entry)
        return entry

    def settle(self, now: datetime) -> int:
        """Bonus money past its validity leaves the wallet (one entry for all of it)."""
        lost = 0
        names = []
        for grant in self.grants:
            if grant.left and grant.expires_at is not None and grant.expires_at <= now:
                lost += grant.left
                names.append(grant.payment_id)
                grant.expired += grant.left
                grant.left = 0
        if lost:
            self._entry(
                "bonus_expire",
                0,
                -lost,
                f"bonus from top-up {', '.join(names)} expired",
                names[0] if len(names) == 1 else None,
                now,
            )
        return lost

    def top_up(
        self,
        payment_id: str,
        amount: int,
        bonus: int,
        bonus_expires_at: datetime | None,
        reason: str,
        now: datetime,
        channel: str | None = None,
    ) -> Entry:
        _positive(amount, "amount")
        if bonus:
            self.grants.append(Grant(payment_id, bonus, bonus, bonus_expires_at))
        return self._entry("topup", amount, bonus, reason, payment_id, now, channel)

    def charge(
        self, order_id: str, amount: int, order: SpendOrder, now: datetime
    ) -> tuple[Entry, list[tuple[str, int]]]:
        """Pay `amount` out of the wallet: the entry, and which grants the bonus part came from."""
        _positive(amount, "amount")
        if self.frozen:
            raise WalletFrozen("this wallet is frozen: payments are refused until it is unfrozen")
        if amount > self.balance:
            raise InsufficientFunds(
                f"the wallet holds {self._money(self.balance)}, less than {self._money(amount)}",
                param="amount",
            )
        bonus_part = split(amount, self.principal, self.bonus, order)
        drawn = []
        still = bonus_part
        for grant in sorted(self.grants, key=Grant.spend_key):
            if not still:
                break
            take = min(grant.left, still)
            if take:
                grant.left -= take
                still -= take
                drawn.append((grant.payment_id, take))
        entry = self._entry(
            "payment",
            -(amount - bonus_part),
            -bonus_part,
            f"paid order {order_id}",
            order_id,
            now,
        )
        return entry, drawn

    def give_back(
        self,
        order_id: str,
        principal: int,
        bonus_to: list[tuple[str, int]],
        now: datetime,
    ) -> Entry:
        """A refund: `principal` and, per grant, the bonus back where it came from (a grant that
        has expired since loses it again at once, in `settle`)."""
        for payment_id, amount in bonus_to:
            grant = self.grant(payment_id)
            if grant is None:  # a grant is never removed; a payment names only its own
                raise AssertionError(f"no grant {payment_id}")
            grant.left += amount
        bonus = sum(amount for _, amount in bonus_to)
        entry = self._entry(
            "refund", principal, bonus, f"refund of order {order_id}", order_id, now
        )
        self.settle(now)
        return entry

    def withdraw(self, topup: TopupTerms, amount: int, now: datetime) -> WithdrawalSplit:
        """Pay `amount` of principal back for a top-up, taking back its share of that top-up's
        bonus: from what is left of that bonus first; what the member spent of it is kept out of
        the principal; what expired is not charged twice."""
        _positive(amount, "amount")
        if self.frozen:
            raise WalletFrozen("this wallet is frozen: withdrawals wait until it is unfrozen")
        left_of_topup = topup.amount - topup.withdrawn
        if amount > left_of_topup:
            raise WithdrawalRefused(
                f"only {self._money(left_of_topup)} of top-up {topup.payment_id} is left to "
                "withdraw",
                param="amount",
            )
        share, from_bonus, recovered = self._take_back(topup, amount)
        if amount + recovered > self.principal:
            most = self.most_withdrawable(topup)
            kept = f" ({self._money(recovered)} kept back for bonus of that top-up already spent)"
            raise WithdrawalRefused(
                f"the principal left is {self._money(self.principal)}; paying back "
                f"{self._money(amount)} needs {self._money(amount + recovered)} of it"
                f"{kept if recovered else ''}; at most {self._money(most)} can be withdrawn now",
                param="amount",
            )
        grant = self.grant(topup.payment_id)
        if grant is not None:
            grant.left -= from_bonus
            grant.taken += from_bonus
            grant.recovered += recovered
        entry = self._entry(
            "withdrawal",
            -(amount + recovered),
            -from_bonus,
            f"withdrawal of top-up {topup.payment_id}",
            topup.payment_id,
            now,
        )
        return WithdrawalSplit(entry, amount, from_bonus, recovered, share)

    def _take_back(self, topup: TopupTerms, amount: int) -> tuple[int, int, int]:
        """(bonus share taken back, of it out of the bonus left, kept out of principal)."""
        share = (
            take_back_share(topup.amount, topup.bonus, topup.withdrawn + amount) - topup.bonus_taken
        )
        grant = self.grant(topup.payment_id)
        if grant is None:
            return share, 0, 0
        from_bonus = min(share, grant.left)
        recovered = min(share - from_bonus, grant.spent - grant.recovered)
        return share, from_bonus, recovered

    def most_withdrawable(self, topup: TopupTerms) -> int:
        """The largest amount a withdrawal of this top-up can pay out now (the cost of paying
        out more only grows, so a bisection finds it)."""
        low, high = 0, min(topup.amount - topup.withdrawn, self.principal)
        while low < high:
            mid = (low + high + 1) // 2
            if mid + self._take_back(topup, mid)[2] <= self.principal:
                low = mid
            else:
                high = mid - 1
        return low

    def set_frozen(self, frozen: bool, reason: str, now: datetime) -> Entry:
        self.frozen = frozen
        self.frozen_reason = reason if frozen else None
        return self._entry("freeze" if frozen else "unfreeze", 0, 0, reason, None, now)

    def hand_over(self, into: str, now: datetime, currency: str = "") -> WalletHandover:
        """Everything out, for a member merge (合并): both parts as one `merge_out` entry, and
        every grant (spent or not: refunds of the payments that drew on it give back to it, and
        withdrawals of its top-up take back its share). Settle expired bonus first."""
        handover = WalletHandover(
            self.principal,
            self.bonus,
            tuple(self.grants),
            self.frozen,
            self.frozen_reason,
            currency,
        )
        self.grants = []
        self._entry(
            "merge_out",
            -handover.principal,
            -handover.bonus,
            f"merged into {into}: {handover.describe()}",
            into,
            now,
        )
        return handover

    def take_over(self, handover: WalletHandover, source: str, now: datetime) -> None:
        """What `hand_over` took out of the merged member's wallet, as one `merge_in` entry; a
        frozen wallet handed over freezes this one too (the same person's money)."""
        self.grants += list(handover.grants)
        self._entry(
            "merge_in",
            handover.principal,
            handover.bonus,
            f"merged from {source}: {handover.describe()}",
            source,
            now,
        )
        if handover.frozen and not self.frozen:
            why = f"frozen with the wallet of merged member {source}: {handover.frozen_reason}"
            self.set_frozen(True, why, now)


class WalletHandover(Struct, frozen=True):
    """What a merge moves from one wallet to another."""

    principal: int
    bonus: int
    grants: tuple[Grant, ...]
    frozen: bool
    frozen_reason: str | None
    currency: str = ""

    def describe(self) -> str:
        grants = len(self.grants)
        principal, bonus = money(self.principal, self.currency), money(self.bonus, self.currency)
        return (
            f"{principal} principal, {bonus} bonus "
            f"({grants} top-up bonus record{'' if grants == 1 else 's'})"
        )


class TopupTerms(Struct, frozen=True):
    """What a withdrawal needs of its top-up: paid in, bonus given, withdrawn so far and the
    bonus share those withdrawals took back."""

    payment_id: str
    amount: int
    bonus: int
    withdrawn: int = 0
    bonus_taken: int = 0


class WithdrawalSplit(Struct, frozen=True):
    entry: Entry
    paid_out: int
    bonus_taken: int
    kept_for_spent_bonus: int
    share: int  # of the top-up's bonus, this withdrawal's (bonus_taken + kept + forgiven)


def split(amount: int, principal: int, bonus: int, order: SpendOrder) -> int:
    """The bonus part of paying `amount` out of (principal, bonus); amount <= both."""
    if order == "bonus_first":
        return min(bonus, amount)
    if order == "principal_first":
        return max(0, amount - principal)
    total = principal + bonus
    return amount * bonus // total if total else 0


def refund_parts(
    paid_principal: int,
    paid_bonus: int,
    refunded_before: int,
    bonus_back_before: int,
    amount: int,
    currency: str = "",
) -> tuple[int, int]:
    """(principal, bonus) given back by refunding `amount` more of a payment: each part's share
    of the refunded total so far, less what earlier refunds gave back."""
    paid = paid_principal + paid_bonus
    if amount > paid - refunded_before:
        left = money(paid - refunded_before, currency)
        raise RefundExceedsPayment(f"only {left} of this payment is left to refund", param="amount")
    bonus_total = (refunded_before + amount) * paid_bonus // paid
    bonus = bonus_total - bonus_back_before
    return amount - bonus, bonus


def take_back_share(topup_amount: int, topup_bonus: int, withdrawn_after: int) -> int:
    """The top-up's bonus a withdrawal of `withdrawn_after` (in total) takes back, rounded up."""
    return -(-withdrawn_after * topup_bonus // topup_amount)


def bonus_back(
    drawn: list[tuple[str, int]], returned: dict[str, int], bonus: int
) -> list[tuple[str, int]]:
    """Spread `bonus` over the grants a payment drew from, each up to what it gave."""
    out = []
    for payment_id, amount in drawn:
        if not bonus:
            break
        room = amount - returned.get(payment_id, 0)
        give = min(room, bonus)
        if give:
            out.append((payment_id, give))
            bonus -= give
    if bonus:
        raise AssertionError("refund bonus beyond what the payment drew")
    return out


def _positive(amount: int, param: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationFailed(
            f"{param} must be a positive whole number of minor units", param=param
        )


class Topup(Struct):
    payment_id: str
    member_id: str
    amount: int
    bonus: int
    withdrawn: int
    bonus_taken: int
    version: int
    request_hash: str
    response: str
    created_at: datetime


class Payment(Struct):
    order_id: str
    amount: int
    principal: int
    bonus: int
    drawn: list[tuple[str, int]]
    refunded: int
    bonus_back: int
    returned: dict[str, int]
    version: int
    request_hash: str
    response: str
    created_at: datetime


class TopupBonus(Struct, frozen=True):
    """What a top-up of `amount` gets under the brand's rules: its bonus (赠送金), the rule
    reached (`named`; None: none), why, when the bonus expires, and the ledger's reason."""

    bonus: int
    named: str | None
    why: str
    expires_at: datetime | None
    reason: str


def topup_bonus(
    rules: WalletRules, amount: int, currency: str, zone: ZoneInfo, now: datetime
) -> TopupBonus:
    rule = rules.bonus_for(amount)
    bonus = rule.bonus if rule else 0
    expires_at = None
    if bonus and rules.bonus_valid_days:
        last = now.astimezone(zone).date() + timedelta(days=rules.bonus_valid_days)
        expires_at = datetime.combine(last + timedelta(days=1), time(), zone)
    if rule is None:
        named, why = None, "no top-up rule reached: no bonus"
    else:
        named = rule.label or f"≥ {money(rule.min_amount, currency)} → +{money(bonus, currency)}"
        why = (
            f"{named}: top-up of {money(amount, currency)} reaches "
            f"{money(rule.min_amount, currency)}, bonus {money(bonus, currency)}"
        )
    reason = f"top-up {money(amount, currency)}" + (
        f" + bonus {money(bonus, currency)} ({named})" if bonus else ""
    )
    return TopupBonus(bonus, named, why, expires_at, reason)


def last_day(at: datetime, zone: ZoneInfo) -> date:
    """The last brand-local day before the moment `at` (a bonus that expires at midnight is
    spendable through the day before)."""
    return (at - timedelta(microseconds=1)).astimezone(zone).date()
