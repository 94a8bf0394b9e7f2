"""Random top-ups, payments (some from several threads at once), refunds, withdrawals, freezes
and the passing of time (bonus money that expires) against the real services and store: after
every step the member's and the brand's reconciliation are `ok`, the brand's running totals
equal the sum over its members, and what the wallet holds is what the answers said, step by
step, with a refusal only where the plain rules say so."""

import json
from concurrent.futures import ThreadPoolExecutor

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chalicelib.contract.members import EnrollRequest
from chalicelib.contract.wallet import (
    FreezeRequest,
    TopupRequest,
    WalletPaymentRequest,
    WalletRefundRequest,
    WithdrawalRequest,
)
from chalicelib.domain.errors import (
    ConcurrentUpdate,
    InsufficientFunds,
    RefundExceedsPayment,
    WalletFrozen,
    WithdrawalRefused,
)
from chalicelib.domain.program import TopupBonus, WalletRules
from chalicelib.jobs.stream import consume
from chalicelib.services.deps import build, use
from chalicelib.settings import Settings
from chalicelib.store.models import create_table
from tests.conftest import T0, Clock, in_engine, set_program
from tests.presented import members, reconciliation, wallet
from tests.streams import Stream

pytestmark = [pytest.mark.slow, pytest.mark.moto_slow]  # 100 s on moto, 47 s on the engine

RULES = WalletRules(
    topup_bonuses=[
        TopupBonus(min_amount=50_000, bonus=5_000),
        TopupBonus(min_amount=100_000, bonus=12_000),
        TopupBonus(min_amount=3_000, bonus=7),  # odd amounts, so the rounding is exercised
    ],
    bonus_valid_days=20,
)
ORDERS = ("proportional", "bonus_first", "principal_first")


class Shared:
    engine = None
    clock = Clock()
    deps = None
    members = 0
    stream = None  # the table's stream, read as Lambda's poller reads it


@pytest.fixture(scope="module", autouse=True)
def _one_table(engine):
    yield
    if Shared.engine is not None:
        use(None)
        Shared.engine.__exit__(None, None, None)
        Shared.engine = None


def best_bonus(amount: int) -> int:
    """The rules, read plainly: the largest bonus among the steps the amount reaches."""
    return max((r.bonus for r in RULES.topup_bonuses if amount >= r.min_amount), default=0)


class WalletMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        if Shared.engine is None:
            Shared.engine = in_engine()
            Shared.engine.__enter__()
            Shared.deps = build(
                Settings(
                    table_name="loyalty-wallet-sm",
                    pii_key="state-machine-pii-key",
                    program_cache_seconds=0,
                ),
                clock=Shared.clock,
                backoff=lambda attempt: None,
            )
            use(Shared.deps)
            create_table()
            Shared.stream = Stream("loyalty-wallet-sm")
        use(Shared.deps)
        set_program(Shared.deps, wallet=RULES)
        self.deps = Shared.deps
        self.clock = Shared.clock
        self.clock.now = T0
        Shared.members += 1
        answer = members.enroll(
            self.deps, EnrollRequest(external_id=f"wallet-{Shared.members}"), None
        )
        self.member_id = json.loads(answer.body)["member_id"]
        self.balance = 0  # what the answers said, added up
        self.frozen = False
        self.payments: dict[str, int] = {}  # order id -> left to refund
        self.topups: dict[str, int] = {}  # payment id -> principal left to withdraw
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{Shared.members}-{self.n}"

    def _wallet(self):
        return wallet.read(self.deps, self.member_id)

    @rule(order=st.sampled_from(ORDERS))
    def the_brand_changes_its_spend_order(self, order: str) -> None:
        set_program(self.deps, wallet=RULES.model_copy(update={"spend_order": order}))

    @rule(amount=st.sampled_from([1, 2_999, 3_000, 49_999, 50_000, 100_000, 123_457]))
    def top_up(self, amount: int) -> None:
        payment_id = self._id("pay")
        request = TopupRequest(payment_id=payment_id, amount=amount)
        before = self._wallet()
        answer = json.loads(wallet.top_up(self.deps, self.member_id, request, None).body)
        assert answer["bonus"] == best_bonus(amount)
        again = json.loads(wallet.top_up(self.deps, self.member_id, request, None).body)
        assert again == answer  # once per payment id
        self.balance = before.balance + amount + answer["bonus"]
        assert answer["wallet"]["balance"] == self.balance
        self.topups[payment_id] = amount

    @precondition(lambda self: self.n)
    @rule(amount=st.integers(1, 130_000))
    def pay(self, amount: int) -> None:
        held = self._wallet()
        request = WalletPaymentRequest(order_id=self._id("o"), amount=amount)
        try:
            answer = json.loads(wallet.pay(self.deps, self.member_id, request, None).body)
        except WalletFrozen:
            assert held.frozen
            return
        except InsufficientFunds:
            assert amount > held.balance
            return
        assert not held.frozen and amount <= held.balance
        assert answer["principal"] + answer["bonus"] == amount
        assert 0 <= answer["bonus"] <= held.bonus and 0 <= answer["principal"] <= held.principal
        self.balance = held.balance - amount
        self.payments[request.order_id] = amount

    @precondition(lambda self: self.n)
    @rule(threads=st.integers(2, 4), amount=st.integers(1, 60_000))
    def pay_from_several_tills_at_once(self, threads: int, amount: int) -> None:
        held = self._wallet()

        def attempt(n: int):
            request = WalletPaymentRequest(order_id=self._id("c"), amount=amount)
            try:
                return request.order_id, wallet.pay(self.deps, self.member_id, request, None)
            except (InsufficientFunds, WalletFrozen, ConcurrentUpdate) as exc:
                return request.order_id, exc

        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(attempt, range(threads)))
        paid = sorted(order_id for order_id, r in results if not isinstance(r, Exception))
        refused = [r for _, r in results if isinstance(r, Exception)]
        # never below zero, and no payment that fits is lost to the race (8 attempts each)
        fits = 0 if held.frozen else min(threads, held.balance // amount)
        assert len(paid) == fits, refused
        assert not any(isinstance(r, ConcurrentUpdate) for r in refused)
        # (which tills won is the race's: they are not refunded here, so the steps that follow
        # draw the same way when hypothesis replays them)
        self.balance = held.balance - len(paid) * amount

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(sorted(self.payments)))
        left = self.payments[order_id]
        amount = data.draw(st.integers(1, left + 2))
        held = self._wallet()
        request = WalletRefundRequest(order_id=order_id, amount=amount)
        try:
            answer = json.loads(wallet.refund(self.deps, self.member_id, request, None).body)
        except RefundExceedsPayment:
            assert amount > left
            return
        assert amount <= left
        assert answer["principal"] + answer["bonus"] == amount
        self.payments[order_id] = left - amount
        self.balance = held.balance + amount - answer["bonus_expired"]
        assert answer["wallet"]["balance"] == self.balance

    @precondition(lambda self: self.topups)
    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        payment_id = data.draw(st.sampled_from(sorted(self.topups)))
        left = self.topups[payment_id]
        amount = data.draw(st.integers(1, max(1, left)))
        held = self._wallet()
        request = WithdrawalRequest(payment_id=payment_id, amount=amount)
        try:
            answer = json.loads(wallet.withdraw(self.deps, self.member_id, request, None).body)
        except WalletFrozen:
            assert held.frozen
            return
        except WithdrawalRefused as refused:
            if "at most" not in refused.message:
                assert amount > left
                return
            most = int(refused.message.split("at most ")[1].split()[0])
            assert most < amount <= left
            if most:  # what the refusal says can be withdrawn, can
                self.withdraw_exactly(payment_id, most)
            return
        assert answer["amount"] == amount
        taken = amount + answer["principal_kept"] + answer["bonus_taken_back"]
        self.balance = held.balance - taken
        self.topups[payment_id] = left - amount
        assert answer["wallet"]["principal"] >= 0 and answer["wallet"]["bonus"] >= 0

    def withdraw_exactly(self, payment_id: str, amount: int) -> None:
        held = self._wallet()
        request = WithdrawalRequest(payment_id=payment_id, amount=amount)
        answer = json.loads(wallet.withdraw(self.deps, self.member_id, request, None).body)
        taken = amount + answer["principal_kept"] + answer["bonus_taken_back"]
        self.balance = held.balance - taken
        self.topups[payment_id] -= amount

    @precondition(lambda self: self.topups)
    @rule(frozen=st.booleans())
    def freeze(self, frozen: bool) -> None:
        wallet.set_frozen(self.deps, self.member_id, frozen, FreezeRequest(reason="check"), None)

    @rule(days=st.integers(1, 25))
    def time_passes(self, days: int) -> None:
        self.clock.advance(days=days)
        self.balance = self._wallet().balance  # bonus money may have expired meanwhile

    @invariant()
    def the_books_reconcile(self) -> None:
        held = self._wallet()
        assert held.balance == self.balance
        assert held.principal >= 0 and held.bonus >= 0
        one = reconciliation.member(self.deps, self.member_id)
        assert one.ok, one.mismatches
        for shard_id, records in Shared.stream.read_shards():  # the running totals caught up
            if records:
                consume(self.deps, records, shard_id)
        brand = reconciliation.brand_page(self.deps, 2_000, None)
        assert brand.ok, brand.mismatches  # the totals against the sum over every member
        assert brand.totals is not None and brand.next_cursor is None
        assert brand.totals.wallet_principal == brand.figures.wallet_principal
        assert brand.totals.wallet_bonus == brand.figures.wallet_bonus


WalletMachine.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_wallet_state_machine = WalletMachine.TestCase
