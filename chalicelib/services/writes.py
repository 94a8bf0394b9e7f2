"""How every write runs: idempotency replay, optimistic retries, and the stored first answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..domain.errors import ConcurrentUpdate, DomainError, IdempotencyKeyReused
from ..store.idempotency import StoredAnswer
from ..store.unit_of_work import UnitOfWork, WriteRejected
from .deps import Deps


@dataclass(frozen=True)
class Answer:
    status: int
    body: str  # JSON, exactly as first sent: a replay returns these bytes
    replayed: bool = False


@dataclass(frozen=True)
class Idem:
    """A client's Idempotency-Key, scoped to the API key that sent it."""

    principal: str
    key: str
    request_hash: str


def request_hash(operation: str, payload: Any) -> str:
    canonical = json.dumps([operation, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(stored_hash: str, body: str, status: int, wanted_hash: str, param: str) -> Answer:
    if stored_hash != wanted_hash:
        raise IdempotencyKeyReused(
            f"{param} was already used with a different request", param=param
        )
    return Answer(status, body, replayed=True)


def stage_answer(deps: Deps, uow: UnitOfWork, idem: Idem | None, status: int, body: str) -> None:
    if idem is None:
        return
    now = deps.clock()
    deps.idempotency.stage(
        uow,
        idem.principal,
        idem.key,
        StoredAnswer(idem.request_hash, status, body),
        expires_at=now + timedelta(hours=deps.settings.idempotency_ttl_hours),
        now=now,
    )


def run_write(deps: Deps, idem: Idem | None, attempt: Callable[[], Answer]) -> Answer:
    """Run `attempt` (read, decide, one transaction) until it commits or a rule refuses it.

    A cancelled transaction whose failed condition the attempt did not turn into an answer of its
    own (a replay, a domain error) means that what it read has changed: read again and retry,
    a bounded number of times (optimistic concurrency)."""

    def stored_first_answer() -> Answer | None:
        if idem is None:
            return None
        stored = deps.idempotency.get(idem.principal, idem.key, deps.clock())
        if stored is None:
            return None
        return replay(
            stored.request_hash,
            stored.response,
            stored.status,
            idem.request_hash,
            "Idempotency-Key",
        )

    for attempt_no in range(deps.settings.write_attempts):
        try:
            return attempt()
        except WriteRejected as rejected:
            if "idempotency_key_is_new" in rejected.failed:
                first = stored_first_answer()
                if first is not None:
                    return first
                continue  # the record expired between the write and the read: try again
            deps.backoff(attempt_no)
            continue
        except DomainError:
            # A retry of a request that already succeeded must answer as the first time did,
            # even when the same request would now be refused (e.g. the points are spent).
            first = stored_first_answer()
            if first is not None:
                return first
            raise
    raise ConcurrentUpdate("the member kept changing under this request; retry it")
