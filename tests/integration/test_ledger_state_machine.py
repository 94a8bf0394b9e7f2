"""Random purchases, retries, redemptions, refunds and the passing of time against the real
services and store; after every step: balance == ledger == lots (+ debt), pending kept apart."""

import json

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chalicelib.contract import (
    EnrollRequest,
    ExchangeRequest,
    PurchaseRequest,
    RedemptionRequest,
    RefundRequest,
)
from chalicelib.domain.errors import DomainError
from chalicelib.domain.program import RollingExpiry
from chalicelib.services import coupon_issue, members, purchases, redemptions, refunds
from chalicelib.services.deps import build, use
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.models import Item, LedgerItem, LotItem, MemberItem, OrderItem, create_table
from tests.conftest import T0, Clock, in_engine, set_program
from tests.helpers import add_templates, template


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
        self.orders: dict[str, int] = {}
        self.refunded: dict[str, int] = {}
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"

    @rule(amount=st.integers(0, 50_000))
    def purchase(self, amount: int) -> None:
        order_id = self._id("o")
        request = PurchaseRequest(order_id=order_id, amount=amount, currency="CNY")
        purchases.purchase(self.deps, self.member_id, request, None)
        self.orders[order_id] = amount
        self.refunded[order_id] = 0

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def retry_purchase(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(sorted(self.orders)))
        before = [e.attribute_values for e in self._entries()]
        request = PurchaseRequest(order_id=order_id, amount=self.orders[order_id], currency="CNY")
        answer = purchases.purchase(self.deps, self.member_id, request, None)
        assert answer.replayed
        assert [e.attribute_values for e in self._entries()] == before

    @rule(steps=st.integers(1, 6))
    def redeem(self, steps: int) -> None:
        request = RedemptionRequest(order_id=self._id("r"), points=100 * steps)
        try:
            redemptions.redeem(self.deps, self.member_id, request, None)
        except DomainError as exc:
            assert exc.code == "insufficient_points"

    @rule()
    def exchange_points_for_a_coupon(self) -> None:
        try:
            coupon_issue.exchange(
                self.deps, self.member_id, ExchangeRequest(template_id="swap"), None
            )
        except DomainError as exc:
            assert exc.code == "insufficient_points"

    @precondition(lambda self: any(self.orders[o] > self.refunded[o] for o in self.orders))
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        open_orders = sorted(o for o in self.orders if self.orders[o] > self.refunded[o])
        order_id = data.draw(st.sampled_from(open_orders))
        left = self.orders[order_id] - self.refunded[order_id]
        amount = data.draw(st.integers(1, left))
        refunds.refund(
            self.deps, self.member_id, RefundRequest(order_id=order_id, amount=amount), None
        )
        self.refunded[order_id] += amount

    @rule(days=st.integers(0, 20), hours=st.integers(0, 23))
    def time_passes(self, days: int, hours: int) -> None:
        self.clock.advance(days=days, hours=hours)
        members.read(self.deps, self.member_id)

    def _entries(self) -> list[LedgerItem]:
        return list(
            LedgerItem.query(
                keys.member_pk(self.member_id), LedgerItem.sk.startswith(keys.LEDGER_PREFIX)
            )
        )

    @invariant()
    def balance_equals_ledger_equals_lots(self) -> None:
        items = list(Item.query(keys.member_pk(self.member_id)))
        member = next(i for i in items if isinstance(i, MemberItem))
        lots = [i for i in items if isinstance(i, LotItem)]
        entries = [i for i in items if isinstance(i, LedgerItem)]
        balance, pending, debt = member.points_balance, member.points_pending, member.points_debt
        assert balance >= 0 and pending >= 0 and debt >= 0
        assert balance == sum(lot.remaining for lot in lots if not lot.pending)
        assert pending == sum(lot.remaining for lot in lots if lot.pending)
        assert sum(e.points for e in entries) == balance + pending - debt
        assert sum(e.balance_delta for e in entries) == balance
        assert sum(e.pending_delta for e in entries) == pending
        assert sum(e.debt_delta for e in entries) == debt
        assert all(0 <= lot.remaining <= lot.points for lot in lots)
        # pending points are never spent: no redemption ever took from a lot still pending
        pending_ids = {lot.lot_id for lot in lots if lot.pending}
        for entry in entries:
            if entry.kind in ("redeem", "exchange"):
                assert not pending_ids & {lot_id for lot_id, _ in entry.lots}
        orders = [i for i in items if isinstance(i, OrderItem)]
        assert all(o.refunded_amount <= o.amount for o in orders)
        assert all(o.points_clawed_back <= o.points_earned for o in orders)


LedgerMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_ledger_state_machine = LedgerMachine.TestCase
