"""Simulated nights (6 members over 45 nights in CI; `make test-year` runs 300 members over a
whole year on DynamoDB Local): members buy, redeem and refund on random days, some top up their
stored value and pay with it, and every night every job runs (expiry, reminders, dormancy,
birthdays, tier review, reconciliation). Each night the reconciliation finds nothing wrong with
any member's books (points and stored value) and, for every member, the books as stored (not as
a read would settle them) agree with the plain reference model of `points_model.py`, the ledger
adds up to the balances, the points each member lost to expiry equal the model's, and each
expiry reminder sent says what the model says is left."""

import contextlib
import os
import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from chalicelib.domain.errors import DomainError, InsufficientFunds
from chalicelib.domain.program import RollingExpiry, TopupBonus, WalletRules
from chalicelib.jobs.nightly import JOBS, run_jobs
from chalicelib.store import keys
from chalicelib.store.ledger import LedgerStore
from chalicelib.store.models import (
    Item,
    LotItem,
    MemberItem,
    OrderItem,
    ReminderItem,
)
from tests.conftest import ENGINE, set_program
from tests.helpers import buy, enroll, pay, redeem, refund, top_up
from tests.integration.points_model import ZONE, Model
from tests.presented import reconciliation

MEMBERS = int(os.environ.get("YEAR_MEMBERS", "6"))
# CI runs 45 nights (an expiry cycle and a half, every reminder) on DynamoDB Local, in
# `make test-engine`: on moto the same nights took over two minutes (moto answers an index query
# by reading its whole table and copies the table in every transaction, and every job reads 16
# partitions a night); `make test-year` runs the whole year at 300 members there too.
DAYS = int(os.environ.get("YEAR_DAYS", "45"))
REMINDER_DAYS = [10, 3]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.long,  # 3 minutes on one worker: make test-engine and make test-year, not CI
    pytest.mark.skipif(ENGINE == "moto", reason="on DynamoDB Local (make test-engine, test-year)"),
]


def stored(member_id: str) -> tuple[tuple[int, int, int, int], dict[str, int]]:
    """Balance, pending, debt as stored, the points still in stored lots, and the reminders
    sent (`<last day>#<days before>` -> points)."""
    items = list(Item.query(keys.member_pk(member_id)))
    member = next(i for i in items if isinstance(i, MemberItem))
    lots = sum(int(i.remaining) for i in items if isinstance(i, LotItem) and not i.pending)
    reminders = {
        f"{i.expires_on}#{int(i.days_before)}": int(i.points)
        for i in items
        if isinstance(i, ReminderItem)
    }
    books = int(member.points_balance), int(member.points_pending), int(member.points_debt), lots
    return books, reminders


def test_simulated_nights__the_books_match_the_reference_every_day(brand, clock, pump):
    rng = random.Random(20261201)
    set_program(
        brand,
        return_window_days=7,
        expiry=RollingExpiry(months=1, reminder_days=REMINDER_DAYS),
        wallet=WalletRules(
            topup_bonuses=[TopupBonus(min_amount=50_000, bonus=5_000)], bonus_valid_days=30
        ),
    )
    start = date(2026, 3, 2)
    clock.now = datetime.combine(start, time(12), ZONE).astimezone(UTC)
    people = {enroll(brand, phone=f"1360013{n:04d}"): Model(return_days=7) for n in range(MEMBERS)}
    reminded = {member_id: {} for member_id in people}  # what the model says was sent
    counter = 0
    for day_no in range(DAYS):
        today = start + timedelta(days=day_no)
        if day_no % 30 == 0:  # progress, seen with `pytest -s` (make test-year)
            print(f"night {day_no}/{DAYS}", flush=True)
        # the night: the job for yesterday, at 01:00 local
        clock.now = datetime.combine(today, time(1), ZONE).astimezone(UTC)
        runs = run_jobs(brand, list(JOBS.values()), now=clock.now)
        assert all(r.status == "finished" and not r.errors for r, _ in runs), runs
        # the nightly reconciliation read every member's books, and they added up
        books = [r for r, _ in runs if r.job == "reconcile"]
        assert books and all(r.counts.get("mismatches", 0) == 0 for r in books), books
        assert books[-1].counts.get("members") == MEMBERS
        # the running totals the stream consumer keeps agree with the members (weekly at size)
        pump()
        if MEMBERS <= 10 or day_no % 7 == 6:
            whole = reconciliation.brand_page(brand, MEMBERS + 1, None)
            assert whole.ok and whole.next_cursor is None, (today, whole.mismatches)
        night_end = datetime.combine(today, time(0), ZONE)
        for member_id, model in people.items():
            for before in REMINDER_DAYS:  # the reminders, as of the job's own run
                left = model.expiring(today + timedelta(days=before), clock.now)
                if left:
                    reminded[member_id][f"{today + timedelta(days=before)}#{before}"] = left
            model.settle(night_end)
            (balance, pending, debt, in_lots), reminders = stored(member_id)
            assert reminders == reminded[member_id], (today, member_id)
            assert (balance, pending, debt) == (model.balance, model.pending, model.debt), (
                today,
                member_id,
            )
            assert in_lots - debt <= balance <= in_lots  # debt is paid out of vesting lots
            rows = LedgerStore().all(member_id)
            assert sum(r.balance_delta for r in rows) == balance
            expired = -sum(r.points for r in rows if r.kind == "expire")
            assert expired == model.expired, (today, member_id)
        # the day: a few members come by at noon
        clock.now = datetime.combine(today, time(12), ZONE).astimezone(UTC)
        for member_id, model in people.items():
            roll = rng.random()
            if roll < 0.08:
                counter += 1
                order_id = f"o-{counter}"
                amount = rng.randrange(1_000, 30_000, 100)
                buy(brand, member_id, order_id, amount)
                lot_id = OrderItem.get(keys.member_pk(member_id), keys.order_sk(order_id)).lot_id
                model.purchase(order_id, amount, lot_id or "", clock.now)
            elif roll < 0.11 and model.orders:
                counter += 1
                points = 100 * rng.randint(1, 3)
                expected = model.spend(points, clock.now)
                try:
                    redeem(brand, member_id, f"r-{counter}", points)
                except DomainError as exc:
                    assert exc.code == "insufficient_points" and expected is None
                else:
                    assert expected is not None
            elif roll < 0.125:
                open_orders = [o for o, v in model.orders.items() if v.amount > v.refunded]
                if open_orders:
                    order_id = rng.choice(sorted(open_orders))
                    order = model.orders[order_id]
                    amount = rng.randint(1, order.amount - order.refunded)
                    refund(brand, member_id, order_id, amount)
                    model.refund(order_id, amount, clock.now)
            elif roll < 0.14:
                counter += 1
                amount = rng.choice([10_000, 50_000, 100_000])
                top_up(brand, member_id, f"p-{counter}", amount)
            elif roll < 0.16:
                counter += 1
                with contextlib.suppress(InsufficientFunds):  # not enough left: refused
                    pay(brand, member_id, f"w-{counter}", rng.randrange(100, 20_000))
    assert sum(m.expired for m in people.values()) > 0  # points did expire on the way
    assert sum(len(r) for r in reminded.values()) > 0  # and reminders went out
    pump()
    assert brand.totals.read().wallet_principal > 0  # and stored value was held
