"""The composition root: settings, clock, ids, stores, built lazily once per warm Lambda."""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache

from msgspec import Struct

from ..domain.errors import Misconfigured
from ..settings import Settings, pii_key_problem, settings
from ..store.aggregates import AggregateStore
from ..store.api_keys import ApiKeyStore
from ..store.books import BooksStore
from ..store.bus import DeadLetters, EventBus
from ..store.checkins import CheckinStore
from ..store.coupons import CouponStore
from ..store.delivery_queue import DeliveryQueue, LocalDeliveries, SqsDeliveries
from ..store.due import DueStore
from ..store.events import EventStore
from ..store.idempotency import IdempotencyStore
from ..store.jobs import JobStore
from ..store.kpis import KpiStore
from ..store.ledger import LedgerStore
from ..store.members import MemberStore
from ..store.merges import MergeStore
from ..store.models import configure
from ..store.once import OnceStore
from ..store.orders import OrderStore
from ..store.program import ProgramCache, ProgramStore
from ..store.referrals import ReferralStore
from ..store.refusals import RefusalCounter
from ..store.reminders import ReminderStore
from ..store.risk import RiskStore
from ..store.runs import RunStore
from ..store.secrets import PiiKey
from ..store.segments import SegmentStore
from ..store.totals import TotalsStore
from ..store.unit_of_work import Transactions, UnitOfWork
from ..store.usage import UsageStore
from ..store.wallet import WalletStore
from ..store.webhooks import WebhookStore
from ..webhooks.sender import HttpSender


def system_clock() -> datetime:
    return datetime.now(UTC)


def ulid_at(moment: datetime) -> str:
    # Imported on the first id, not at start: python-ulid reads its own package metadata when
    # imported (a scan of the installed distributions), which reads never need.
    from ulid import ULID

    return str(ULID.from_datetime(moment))


def jittered_backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.002 * 2**attempt))


class Deps(Struct):
    settings: Settings
    clock: Callable[[], datetime]
    new_id: Callable[[datetime], str]
    backoff: Callable[[int], None]
    transactions: Transactions
    members: MemberStore
    ledger: LedgerStore
    orders: OrderStore
    due: DueStore
    programs: ProgramCache
    program_store: ProgramStore
    idempotency: IdempotencyStore
    api_keys: ApiKeyStore
    coupons: CouponStore
    refusals: RefusalCounter
    jobs: JobStore
    runs: RunStore
    once: OnceStore
    checkins: CheckinStore
    usage: UsageStore
    kpis: KpiStore
    risk: RiskStore
    referrals: ReferralStore
    merges: MergeStore
    reminders: ReminderStore
    wallets: WalletStore
    books: BooksStore
    segments: SegmentStore
    totals: TotalsStore
    aggregates: AggregateStore
    events: EventStore
    bus: EventBus
    dead_letters: DeadLetters
    webhooks: WebhookStore
    delivery_queue: DeliveryQueue
    sender: HttpSender
    draw: Callable[[], float]  # uniform in [0, 1): the jitter of retries, a stock slice
    random_bytes: Callable[[int], bytes]  # coupon codes, referral codes, webhook secrets
    pii: PiiKey

    def uow(self) -> UnitOfWork:
        return self.transactions.new()

    @property
    def pii_key(self) -> bytes:
        """The brand's key for fingerprints and sealed secrets (read on first use)."""
        return self.pii.get()


def _pii_key(config: Settings, required: bool) -> str:
    """Refuses to start without the brand's PII key (or the secret that holds it): phone
    fingerprints without it would be a bare hash, which 10^10 phone numbers brute-force."""
    pii_key = config.pii_key.get_secret_value()
    problem = pii_key_problem(pii_key, config.brand)
    needed = required and config.pii_key_needed and not config.pii_secret_arn
    if needed and problem:
        raise Misconfigured(problem)
    return pii_key


def build(
    config: Settings | None = None,
    clock: Callable[[], datetime] = system_clock,
    backoff: Callable[[int], None] = jittered_backoff,
    *,
    require_pii_key: bool = True,
) -> Deps:
    """Everything a request or a job needs."""
    config = config or settings()
    pii_key = _pii_key(config, require_pii_key)
    configure(config.table_name, config.region)
    program_store = ProgramStore()
    return Deps(
        settings=config,
        clock=clock,
        new_id=ulid_at,
        backoff=backoff,
        transactions=Transactions(config.region),
        members=MemberStore(),
        ledger=LedgerStore(),
        orders=OrderStore(),
        due=DueStore(),
        programs=ProgramCache(program_store, config.program_cache_seconds, clock),
        program_store=program_store,
        idempotency=IdempotencyStore(),
        api_keys=ApiKeyStore(),
        coupons=CouponStore(),
        refusals=RefusalCounter(),
        jobs=JobStore(),
        runs=RunStore(),
        once=OnceStore(),
        checkins=CheckinStore(),
        usage=UsageStore(),
        kpis=KpiStore(),
        risk=RiskStore(),
        referrals=ReferralStore(),
        merges=MergeStore(),
        reminders=ReminderStore(),
        wallets=WalletStore(),
        books=BooksStore(),
        segments=SegmentStore(),
        totals=TotalsStore(),
        aggregates=AggregateStore(),
        events=EventStore(),
        bus=EventBus(config.event_bus, f"loyalty.{config.brand}", config.region),
        dead_letters=DeadLetters(config.stream_dlq_url, config.region),
        webhooks=WebhookStore(),
        delivery_queue=(
            SqsDeliveries(config.webhook_queue_url, config.region)
            if config.webhook_queue_url
            else LocalDeliveries(clock)
        ),
        sender=HttpSender(allow_loopback=config.allow_loopback_webhooks),
        draw=random.random,
        random_bytes=secrets.token_bytes,
        pii=PiiKey(config.brand, pii_key, config.pii_secret_arn, config.region),
    )


_override: list[Deps] = []


@cache
def _default() -> Deps:
    return build()


def deps() -> Deps:
    """What the API and jobs use; tests and the local server install their own with `use`."""
    return _override[-1] if _override else _default()


def use(custom: Deps | None) -> None:
    _override.clear()
    if custom is not None:
        _override.append(custom)
    _default.cache_clear()
