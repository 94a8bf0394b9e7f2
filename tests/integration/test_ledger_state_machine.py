"""Random purchases, retries, redemptions, refunds and the passing of time against the real
services and store, and against a plain model of the rules (`points_model.py`): after every
step the balances, every lot and every ledger row agree with the model, and a refusal comes
only when the model says the points were not there."""

import json

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chalicelib.contract.checkout import (
    ExchangeRequest,
    PurchaseRequest,
    RedemptionRequest,
    RefundRequest,
)
from chalicelib.contract.members import EnrollRequest
from chalicelib.domain.errors import DomainError
from chalicelib.domain.program import RollingExpiry
from chalicelib.services.deps import build, use
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.ledger import LedgerStore
from chalicelib.store.models import Item, LotItem, MemberItem, OrderItem, create_table
from tests.conftest import ENGINE, T0, Clock, in_engine, set_program
from tests.helpers import add_templates, template
from tests.integration.points_model import Model
from tests.presented import coupon_issue, members, purchases, reconciliation, redemptions, refunds

# Slow: on DynamoDB Local (`make test-engine`, in CI) it takes 15 s; on moto, which copies its
# whole table in every transaction, two minutes, so `make test` leaves it to the engine run.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(ENGINE == "moto", reason="runs on DynamoDB Local (make test-engine)"),
]


class Shared:
    """One table for the whole module (starting moto per example would dominate the run);
    each example gets a member of its own, so examples stay independent."""

    engine = None
    clock = Clock()
    deps = None
    members = 0


@pytest.fixture(scope="module", autouse=True)
def _one_table(engine):
    yield
    if Shared.engine is not None:
        use(None)
        Shared.engine.__exit__(None, None, None)
        Shared.engine = None


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        if Shared.engine is None:
            Shared.engine = in_engine()
            Shared.engine.__enter__()
            Shared.deps = build(
                Settings(
                    table_name="loyalty-sm",
                    pii_key="state-machine-pii-key",
                    program_cache_seconds=0,
                ),
                clock=Shared.clock,
                backoff=lambda attempt: None,
            )
            use(Shared.deps)
            create_table()
            set_program(Shared.deps, return_window_days=7, expiry=RollingExpiry(months=1))
            add_templates(Shared.deps, template("swap", points_price=300, per_member_limit=None))
        use(Shared.deps)
        self.clock = Shared.clock
        self.clock.now = T0
        self.deps = Shared.deps
        Shared.members += 1
        answer = members.enroll(
            self.deps, EnrollRequest(external_id=f"shopper-{Shared.members}"), None
        )
        self.member_id = json.loads(answer.body)["member_id"]
        self.model = Model(return_days=7)
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"

    def _lot_of(self, order_id: str) -> str | None:
        item = OrderItem.get(keys.member_pk(self.member_id), keys.order_sk(order_id))
        return item.lot_id

    @rule(amount=st.integers(1, 50_000))
    def purchase(self, amount: int) -> None:
        order_id = self._id("o")
        request = PurchaseRequest(order_id=order_id, amount=amount, currency="CNY")
        purchases.purchase(self.deps, self.member_id, request, None)
        self.model.purchase(order_id, amount, self._lot_of(order_id) or "", self.clock.now)

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data())
    def retry_purchase(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(sorted(self.model.orders)))
        before = LedgerStore().all(self.member_id)
        amount = self.model.orders[order_id].amount
        request = PurchaseRequest(order_id=order_id, amount=amount, currency="CNY")
        answer = purchases.purchase(self.deps, self.member_id, request, None)
        assert answer.replayed
        assert LedgerStore().all(self.member_id) == before

    def _spend(self, order_id: str, points: int, call) -> None:
        expected = self.model.spend(points, self.clock.now)
        try:
            call()
        except DomainError as exc:
            assert exc.code == "insufficient_points" and expected is None, exc
            return
        assert expected is not None, "the model says there were not enough points"
        if order_id:
            self.model.redeemed[order_id] = expected

    @rule(steps=st.integers(1, 6))
    def redeem(self, steps: int) -> None:
        request = RedemptionRequest(order_id=self._id("r"), points=100 * steps)
        self._spend(
            "", request.points, lambda: redemptions.redeem(self.deps, self.member_id, request, None)
        )

    @precondition(lambda self: set(self.model.orders) - set(self.model.redeemed))
    @rule(data=st.data(), steps=st.integers(1, 3))
    def redeem_on_a_purchased_order(self, data: st.DataObject, steps: int) -> None:
        """Points spent on an order that a refund will later give back in proportion."""
        order_id = data.draw(
            st.sampled_from(sorted(set(self.model.orders) - set(self.model.redeemed)))
        )
        request = RedemptionRequest(order_id=order_id, points=100 * steps)
        self._spend(
            order_id,
            request.points,
            lambda: redemptions.redeem(self.deps, self.member_id, request, None),
        )

    @rule()
    def exchange_points_for_a_coupon(self) -> None:
        request = ExchangeRequest(template_id="swap")
        self._spend(
            "", 300, lambda: coupon_issue.exchange(self.deps, self.member_id, request, None)
        )

    @precondition(lambda self: any(o.amount > o.refunded for o in self.model.orders.values()))
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        open_orders = sorted(o for o, v in self.model.orders.items() if v.amount > v.refunded)
        order_id = data.draw(st.sampled_from(open_orders))
        order = self.model.orders[order_id]
        amount = data.draw(st.integers(1, order.amount - order.refunded))
        refunds.refund(
            self.deps, self.member_id, RefundRequest(order_id=order_id, amount=amount), None
        )
        self.model.refund(order_id, amount, self.clock.now)

    @rule(days=st.integers(0, 20), hours=st.integers(0, 23))
    def time_passes(self, days: int, hours: int) -> None:
        self.clock.advance(days=days, hours=hours)
        members.read(self.deps, self.member_id)
        self.model.settle(self.clock.now)

    @invariant()
    def the_books_agree_with_the_model(self) -> None:
        items = list(Item.query(keys.member_pk(self.member_id)))
        member = next(i for i in items if isinstance(i, MemberItem))
        lots = {i.lot_id: i for i in items if isinstance(i, LotItem)}
        entries = LedgerStore().all(self.member_id)
        model = self.model
        assert (member.points_balance, member.points_pending, member.points_debt) == (
            model.balance,
            model.pending,
            model.debt,
        )
        # reads skip the lots until this moment: exactly the soonest change of a stored lot
        dues = [lot.vests_at if lot.pending else lot.expires_at for lot in lots.values()]
        assert member.next_due_at == min((d for d in dues if d is not None), default=None)
        # a lot spent to nothing is deleted: the table keeps exactly the lots with points left
        assert set(lots) == {lot_id for lot_id, lot in model.lots.items() if lot.remaining}
        for lot_id, lot in lots.items():
            expected = model.lots[lot_id]
            assert (lot.remaining, lot.pending) == (expected.remaining, expected.pending), lot_id
            assert lot.expires_at == expected.expires_at, lot_id  # given-back points keep it
            assert 0 <= lot.remaining <= lot.points
        # the ledger: one row per change, numbered without gaps, running totals that add up
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        balance = pending = debt = 0
        for entry in entries:
            balance += entry.balance_delta
            pending += entry.pending_delta
            debt += entry.debt_delta
            assert (entry.balance_after, entry.pending_after, entry.debt_after) == (
                balance,
                pending,
                debt,
            ), entry.seq
            assert entry.points == entry.balance_delta + entry.pending_delta - entry.debt_delta
            assert entry.reason
        assert (balance, pending, debt) == (model.balance, model.pending, model.debt)
        # per lot, the ledger's lot movements add up to what the lot has left
        moved: dict[str, int] = {}
        for entry in entries:
            for lot_id, delta in entry.lots:
                moved[lot_id] = moved.get(lot_id, 0) + int(delta)
        for lot_id, expected in model.lots.items():
            assert expected.points + moved.get(lot_id, 0) == expected.remaining, lot_id
        # pending points are never spent: no redemption ever took from a lot still pending
        pending_ids = {lot_id for lot_id, lot in model.lots.items() if lot.pending}
        for entry in entries:
            if entry.kind in ("redeem", "exchange"):
                assert not pending_ids & {lot_id for lot_id, _ in entry.lots}
        orders = [i for i in items if isinstance(i, OrderItem)]
        assert all(o.refunded_amount <= o.amount for o in orders)
        assert all(o.points_clawed_back <= o.points_earned for o in orders)
        # and the reconciliation, which knows nothing of the model, agrees
        books = reconciliation.member(self.deps, self.member_id)
        assert books.ok, books.mismatches


LedgerMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_ledger_state_machine = LedgerMachine.TestCase
