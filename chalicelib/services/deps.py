"""The composition root: settings, clock, ids, stores, built lazily once per warm Lambda."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from pynamodb.connection import Connection
from ulid import ULID

from ..domain.program import Program
from ..settings import Settings, settings
from ..store.api_keys import ApiKeyStore
from ..store.coupons import CouponStore
from ..store.idempotency import IdempotencyStore
from ..store.jobs import JobStore
from ..store.members import MemberStore
from ..store.models import configure
from ..store.once import OnceStore
from ..store.program import ProgramStore
from ..store.unit_of_work import UnitOfWork


def system_clock() -> datetime:
    return datetime.now(UTC)


def ulid_at(moment: datetime) -> str:
    return str(ULID.from_datetime(moment))


def jittered_backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.002 * 2**attempt))


@dataclass
class ProgramCache:
    """The program document, cached in the warm Lambda for `ttl` seconds (0: never cached)."""

    store: ProgramStore
    ttl: float
    _cached: Program | None = None
    _read_at: float = field(default=-1e18)

    def current(self) -> Program | None:
        if self._cached is None or time.monotonic() - self._read_at > self.ttl:
            self._cached = self.store.current()
            self._read_at = time.monotonic()
        return self._cached

    def invalidate(self) -> None:
        self._cached = None


@dataclass
class Deps:
    settings: Settings
    clock: Callable[[], datetime]
    new_id: Callable[[datetime], str]
    backoff: Callable[[int], None]
    connection: Connection
    members: MemberStore
    programs: ProgramCache
    program_store: ProgramStore
    idempotency: IdempotencyStore
    api_keys: ApiKeyStore
    coupons: CouponStore
    jobs: JobStore
    once: OnceStore

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.connection)

    @property
    def pii_key(self) -> bytes:
        key = self.settings.pii_key.get_secret_value()
        if len(key) < 16:
            # Without the brand's secret, phone fingerprints would be a bare hash: refuse to run.
            raise RuntimeError("LOYALTY_PII_KEY must be set to the brand's secret (16+ characters)")
        return key.encode()


def build(
    config: Settings | None = None,
    clock: Callable[[], datetime] = system_clock,
    backoff: Callable[[int], None] = jittered_backoff,
) -> Deps:
    config = config or settings()
    configure(config.table_name, config.region)
    connection = Connection(region=config.region)
    program_store = ProgramStore()
    deps = Deps(
        settings=config,
        clock=clock,
        new_id=ulid_at,
        backoff=backoff,
        connection=connection,
        members=MemberStore(lambda: UnitOfWork(connection)),
        programs=ProgramCache(program_store, config.program_cache_seconds),
        program_store=program_store,
        idempotency=IdempotencyStore(),
        api_keys=ApiKeyStore(),
        coupons=CouponStore(),
        jobs=JobStore(),
        once=OnceStore(),
    )
    return deps


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
