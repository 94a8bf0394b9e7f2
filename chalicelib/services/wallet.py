"""Stored value (储值): top up, pay, refund a payment, withdraw a top-up, freeze; and read.

Each write is one transaction of the wallet (guarded by its version), its entries, the business
record (the top-up by payment id, the payment by order id, or a once-only refund/withdrawal id),
the brand's totals and, when sent, the Idempotency-Key's answer. The stream turns the entries
into `wallet.*` events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from msgspec import Struct

from ..contract.wallet import (
    FreezeRequest,
    TopupRequest,
    WalletPaymentRequest,
    WalletRefundRequest,
    WithdrawalRequest,
)
from ..domain.errors import (
    Conflict,
    DomainError,
    MemberNotFound,
    PaymentConflict,
    PaymentNotFound,
    ValidationFailed,
    WalletNotFound,
)
from ..domain.guards import Rule, WriteRejected
from ..domain.idempotency import request_hash
from ..domain.merge import POINTS, WALLET
from ..domain.money import money
from ..domain.outcomes import (
    ToppedUp,
    WalletEntries,
    WalletNow,
    WalletPaid,
    WalletRefunded,
    Withdrawn,
)
from ..domain.program import Program
from ..domain.wallet import TopupTerms, Wallet, bonus_back, last_day, refund_parts, topup_bonus
from ..store.idempotency import AnswerHome
from ..store.members import MemberStore
from ..store.once import OnceStore
from ..store.program import ProgramCache
from ..store.unit_of_work import UnitOfWork
from ..store.wallet import Payment, Topup, WalletStore
from .shared import writes
from .shared.writes import Answer, Idem, Present, run_write, stage_answer


class Needs(writes.Needs, Protocol):
    members: MemberStore
    once: OnceStore
    programs: ProgramCache
    wallets: WalletStore


class WalletDisabled(Conflict):
    """The brand's program has stored value switched off."""

    code = "wallet_disabled"


def _program(d: Needs) -> Program:
    program = d.programs.require()
    if not program.wallet.enabled:
        raise WalletDisabled("stored value is switched off in the program (wallet.enabled)")
    return program


def _currency(sent: str | None, currency: str) -> None:
    if sent is not None and sent != currency:
        raise ValidationFailed(
            f"this wallet holds {currency}; {sent} cannot be paid into or out of it",
            param="currency",
        )


def _load(d: Needs, member_id: str, program: Program, now: datetime) -> tuple[Wallet, str]:
    """The member's wallet as of `now` (bonus past its validity settled in memory), and its
    currency; a member without one yet gets an empty wallet in the program's currency."""
    exists, wallet, currency = d.wallets.load(member_id)
    if not exists:
        raise MemberNotFound(f"no member {member_id}", param="member_id")
    wallet = wallet or Wallet()
    wallet.currency = currency or program.currency
    wallet.settle(now)
    return wallet, wallet.currency


def _commit(
    d: Needs,
    uow: UnitOfWork,
    idem: Idem | None,
    answer: Answer,
    again: Callable[[], Answer | None],
) -> Answer:
    """Commit; a write that lost the race on its business key answers as the first one did."""
    answer = stage_answer(d, uow, idem, answer)
    try:
        uow.commit()
    except WriteRejected as rejected:
        business_key = (
            rejected.broke(Rule.TOPUP_IS_NEW)
            or rejected.broke(Rule.WALLET_PAYMENT_IS_NEW)
            or rejected.broke(Rule.ONCE_IS_NEW)
        )
        if business_key and not rejected.broke(Rule.IDEMPOTENCY_KEY_IS_NEW):
            first = again()
            if first is not None:
                return first
        raise
    return answer


class _OnceId(Struct, frozen=True):
    """A caller's optional once-only id (`refund_id`, `withdrawal_id`): its first answer, and
    the record that keeps it, written in the same transaction."""

    kind: str
    key: str | None  # None: the caller sent no id, and each call is a new one
    fingerprint: str
    param: str

    def recorded(self, d: Needs, member_id: str) -> Answer | None:
        if self.key is None:
            return None
        found = d.once.get(member_id, self.kind, self.key)
        return None if found is None else Answer.first(*found, self.fingerprint, self.param)

    def stage(self, d: Needs, uow: UnitOfWork, member_id: str, body: str) -> AnswerHome | None:
        if self.key is None:
            return None
        return d.once.stage(uow, member_id, self.kind, self.key, self.fingerprint, body)


# -- reads ------------------------------------------------------------------------------------


def read(d: Needs, member_id: str) -> WalletNow:
    program = d.programs.require()
    wallet, currency = _load(d, member_id, program, d.clock())
    return WalletNow(member_id, wallet, currency, program.zone)


def entries(d: Needs, member_id: str, limit: int, cursor: str | None) -> WalletEntries:
    """Newest first; a merged member's too (its history ends with the `merge_out` entry)."""
    exists, _, _ = d.wallets.load(member_id, merged_ok=True)
    if not exists:
        raise MemberNotFound(f"no member {member_id}", param="member_id")
    page, next_cursor = d.wallets.page(member_id, limit, cursor)
    return WalletEntries(page, next_cursor)


# -- top up -----------------------------------------------------------------------------------


def top_up(
    d: Needs,
    member_id: str,
    request: TopupRequest,
    idem: Idem | None,
    present: Present[ToppedUp],
) -> Answer:
    program = _program(d)
    rules = program.wallet
    _within_topup_range(program, request.amount)
    fingerprint = request_hash("wallet.topup", [member_id, request.model_dump(mode="json")])

    def recorded() -> Answer | None:
        found = d.wallets.topup(request.payment_id)
        if found is None:
            return None
        if found.member_id != member_id or found.request_hash != fingerprint:
            raise PaymentConflict(
                f"payment {request.payment_id} was already recorded as a different top-up",
                param="payment_id",
            )
        return Answer(found.response, created=True, replayed=True)

    def attempt() -> Answer:
        # No read of the payment id first: the write is conditional on it being new, and a
        # retry is told apart when that condition fails (or the wallet refuses it now).
        now = d.clock()
        wallet, currency = _load(d, member_id, program, now)
        _currency(request.currency, currency)
        terms = topup_bonus(rules, request.amount, currency, program.zone, now)
        bonus, expires_at = terms.bonus, terms.expires_at
        if wallet.balance + request.amount + bonus > rules.max_balance:
            return _over_max(rules.max_balance, currency, recorded)
        paid_in = (request.payment_id, request.amount, bonus, expires_at, terms.reason, now)
        wallet.top_up(*paid_in, request.channel)
        body = present(
            ToppedUp(
                payment_id=request.payment_id,
                amount=request.amount,
                bonus=bonus,
                rule=terms.named,
                reason=terms.why,
                bonus_expires_on=last_day(expires_at, program.zone) if expires_at else None,
                wallet=WalletNow(member_id, wallet, currency, program.zone),
            )
        )
        uow = d.uow()
        d.wallets.stage(uow, member_id, wallet, currency=currency, now=now)
        topup = Topup(
            request.payment_id, member_id, request.amount, bonus, 0, 0, 1, fingerprint, body, now
        )
        home = d.wallets.stage_topup(uow, topup)
        return _commit(d, uow, idem, Answer(body, created=True, home=home), recorded)

    return run_write(d, idem, attempt)


def _within_topup_range(program: Program, amount: int) -> None:
    rules = program.wallet
    if not rules.min_topup <= amount <= rules.max_topup:
        raise ValidationFailed(
            f"a top-up is between {money(rules.min_topup, program.currency)} and "
            f"{money(rules.max_topup, program.currency)}",
            param="amount",
        )


def _over_max(max_balance: int, currency: str, recorded: Callable[[], Answer | None]) -> Answer:
    """This very top-up retried after it filled the wallet: its first answer; else refused."""
    first = recorded()
    if first is not None:
        return first
    raise ValidationFailed(
        f"the wallet would hold more than {money(max_balance, currency)} (wallet.max_balance)",
        param="amount",
    )


# -- pay --------------------------------------------------------------------------------------


def _payment(
    request: WalletPaymentRequest,
    bonus: int,
    drawn: list[tuple[str, int]],
    fingerprint: str,
    body: str,
    now: datetime,
) -> Payment:
    principal = request.amount - bonus
    return Payment(
        order_id=request.order_id,
        amount=request.amount,
        principal=principal,
        bonus=bonus,
        drawn=drawn,
        refunded=0,
        bonus_back=0,
        returned={},
        version=1,
        request_hash=fingerprint,
        response=body,
        created_at=now,
    )


def pay(
    d: Needs,
    member_id: str,
    request: WalletPaymentRequest,
    idem: Idem | None,
    present: Present[WalletPaid],
) -> Answer:
    program = _program(d)
    fingerprint = request_hash("wallet.pay", request.model_dump(mode="json"))

    def recorded() -> Answer | None:
        found = d.wallets.payment(member_id, request.order_id)
        if found is None:
            return None
        if found.request_hash != fingerprint:
            raise PaymentConflict(
                f"order {request.order_id} was already paid from this wallet with "
                f"{money(found.amount, program.currency)}",
                param="order_id",
            )
        return Answer(found.response, created=True, replayed=True)

    def attempt() -> Answer:
        # As for top-ups: the payment's write is conditional on the order id being new.
        now = d.clock()
        wallet, currency = _load(d, member_id, program, now)
        _currency(request.currency, currency)
        order = program.wallet.spend_order
        try:
            entry, drawn = wallet.charge(request.order_id, request.amount, order, now)
        except DomainError:
            first = recorded()  # a retry of a payment made: the first answer, not a refusal
            if first is not None:
                return first
            raise
        bonus = -entry.bonus_delta
        seen = WalletNow(member_id, wallet, currency, program.zone)
        body = present(
            WalletPaid(request.order_id, request.amount, request.amount - bonus, bonus, order, seen)
        )
        uow = d.uow()
        d.wallets.stage(uow, member_id, wallet, currency=currency, now=now)
        paid = _payment(request, bonus, drawn, fingerprint, body, now)
        home = d.wallets.stage_payment(uow, member_id, paid)
        return _commit(d, uow, idem, Answer(body, created=True, home=home), recorded)

    return run_write(d, idem, attempt)


# -- refund a payment -------------------------------------------------------------------------


def refund(
    d: Needs,
    member_id: str,
    request: WalletRefundRequest,
    idem: Idem | None,
    present: Present[WalletRefunded],
) -> Answer:
    program = _program(d)
    fingerprint = request_hash("wallet.refund", request.model_dump(mode="json"))
    key = None if request.refund_id is None else f"{request.order_id}#{request.refund_id}"
    once = _OnceId("wallet_refund", key, fingerprint, "refund_id")

    def recorded() -> Answer | None:
        return once.recorded(d, member_id)

    def attempt() -> Answer:
        first = recorded()
        if first is not None:
            return first
        payment = d.wallets.payment(member_id, request.order_id)
        if payment is None:
            raise PaymentNotFound(
                f"member {member_id} paid no order {request.order_id} from the wallet",
                param="order_id",
            )
        now = d.clock()
        wallet, currency = _load(d, member_id, program, now)
        _currency(request.currency, currency)
        paid = (payment.principal, payment.bonus, payment.refunded, payment.bonus_back)
        principal, bonus = refund_parts(*paid, request.amount, currency)
        to_grants = bonus_back(payment.drawn, payment.returned, bonus)
        before = wallet.bonus
        wallet.give_back(request.order_id, principal, to_grants, now)
        expired = before + bonus - wallet.bonus
        payment.refunded += request.amount
        payment.bonus_back += bonus
        for payment_id, amount in to_grants:
            payment.returned[payment_id] = payment.returned.get(payment_id, 0) + amount
        payment.version += 1
        seen = WalletNow(member_id, wallet, currency, program.zone)
        parts = (principal, bonus, expired, payment.refunded)
        body = present(WalletRefunded(request.order_id, request.amount, *parts, seen))
        uow = d.uow()
        d.wallets.stage(uow, member_id, wallet, currency=currency, now=now)
        d.wallets.stage_payment(uow, member_id, payment)
        home = once.stage(d, uow, member_id, body)
        return _commit(d, uow, idem, Answer(body, created=True, home=home), recorded)

    return run_write(d, idem, attempt)


# -- withdraw a top-up ------------------------------------------------------------------------


def withdraw(
    d: Needs,
    member_id: str,
    request: WithdrawalRequest,
    idem: Idem | None,
    present: Present[Withdrawn],
) -> Answer:
    program = _program(d)
    fingerprint = request_hash("wallet.withdraw", request.model_dump(mode="json"))
    key = None if request.withdrawal_id is None else f"{request.payment_id}#{request.withdrawal_id}"
    once = _OnceId("wallet_withdrawal", key, fingerprint, "withdrawal_id")

    def recorded() -> Answer | None:
        return once.recorded(d, member_id)

    def attempt() -> Answer:
        first = recorded()
        if first is not None:
            return first
        topup = d.wallets.topup(request.payment_id)
        if topup is None or not _holds(d, member_id, topup.member_id):
            raise PaymentNotFound(
                f"member {member_id} has no top-up {request.payment_id}", param="payment_id"
            )
        now = d.clock()
        wallet, currency = _load(d, member_id, program, now)
        _currency(request.currency, currency)
        terms = TopupTerms(
            topup.payment_id, topup.amount, topup.bonus, topup.withdrawn, topup.bonus_taken
        )
        done = wallet.withdraw(terms, request.amount, now)
        topup.withdrawn += request.amount
        topup.bonus_taken += done.share
        topup.version += 1
        after = TopupTerms(
            topup.payment_id, topup.amount, topup.bonus, topup.withdrawn, topup.bonus_taken
        )
        body = present(
            Withdrawn(
                payment_id=request.payment_id,
                amount=request.amount,
                bonus_taken_back=done.bonus_taken,
                principal_kept=done.kept_for_spent_bonus,
                withdrawn_total=topup.withdrawn,
                withdrawable_now=wallet.most_withdrawable(after),
                wallet=WalletNow(member_id, wallet, currency, program.zone),
            )
        )
        uow = d.uow()
        d.wallets.stage(uow, member_id, wallet, currency=currency, now=now)
        d.wallets.stage_topup(uow, topup)
        home = once.stage(d, uow, member_id, body)
        return _commit(d, uow, idem, Answer(body, created=True, home=home), recorded)

    return run_write(d, idem, attempt)


MERGE_HOPS = 16  # a chain of merges longer than this is not followed


def _holds(d: Needs, member_id: str, paid_by: str) -> bool:
    """Whether the member's wallet holds what `paid_by` topped up: its own, or a member merged
    into it (through any chain of merges) whose wallet has moved on by now."""
    for _ in range(MERGE_HOPS):
        if paid_by == member_id:
            return True
        payer = d.members.get_member(paid_by, merged_ok=True)
        if payer is None or payer.merged_into is None or payer.merge_step in (POINTS, WALLET):
            return False
        paid_by = payer.merged_into
    return False


# -- freeze -----------------------------------------------------------------------------------


def set_frozen(
    d: Needs,
    member_id: str,
    frozen: bool,
    request: FreezeRequest,
    idem: Idem | None,
    present: Present[WalletNow],
) -> Answer:
    """Freeze (or unfreeze) a wallet; asking for the state it is in already changes nothing."""
    program = d.programs.require()

    def attempt() -> Answer:
        now = d.clock()
        exists, wallet, currency = d.wallets.load(member_id)
        if not exists:
            raise MemberNotFound(f"no member {member_id}", param="member_id")
        if wallet is None:
            raise WalletNotFound(f"member {member_id} has no wallet yet", param="member_id")
        currency = currency or program.currency
        wallet.settle(now)
        if wallet.frozen == frozen:
            return Answer(present(WalletNow(member_id, wallet, currency, program.zone)))
        wallet.set_frozen(frozen, request.reason, now)
        body = present(WalletNow(member_id, wallet, currency, program.zone))
        uow = d.uow()
        d.wallets.stage(uow, member_id, wallet, currency=currency, now=now)
        return _commit(d, uow, idem, Answer(body), lambda: None)

    return run_write(d, idem, attempt)
