"""How every write runs: idempotency replay, optimistic retries, and the stored first answer.

A use case is handed the route's presenter (`Present`): what it answers is the presenter's JSON
of the domain value it decided, kept in the write's own transaction, so a replay returns the
first answer's very bytes whatever the code does since."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from msgspec import Struct

from ...domain.errors import ConcurrentUpdate, DomainError
from ...domain.guards import Rule, WriteRejected
from ...domain.idempotency import same_request
from ...settings import Settings
from ...store.idempotency import AnswerHome, IdempotencyStore, StoredAnswer
from ...store.unit_of_work import UnitOfWork

T = TypeVar("T")
Present = Callable[[T], str]  # a domain value as the JSON a route answers with


class Clocked(Protocol):
    """A use case that reads the time (the composition root's clock, a test's fixed one)."""

    @property
    def clock(self) -> Callable[[], datetime]: ...


class Needs(Clocked, Protocol):
    """What running a write needs: the clock, the attempts and the pause between them, a unit
    of work, and the idempotency records."""

    settings: Settings
    idempotency: IdempotencyStore

    # functions the composition root hands over are read-only members
    @property
    def backoff(self) -> Callable[[int], None]: ...

    def uow(self) -> UnitOfWork: ...


class Answer(Struct, frozen=True):
    """What a write answered: its JSON body, exactly as first sent (a replay returns these
    bytes), whether it created something, and whether this is a replay of an earlier answer."""

    body: str
    created: bool = False
    replayed: bool = False
    home: AnswerHome | None = None  # the business record written with it that keeps `body`

    @classmethod
    def first(cls, stored_hash: str, body: str, wanted_hash: str, param: str) -> Answer:
        """The first answer kept under a business key (`param`), if this request is the same
        one (a replay: it created what it created)."""
        same_request(stored_hash, wanted_hash, param)
        return cls(body, created=True, replayed=True)


class Idem(Struct, frozen=True):
    """A client's Idempotency-Key, scoped to the API key that sent it."""

    principal: str
    key: str
    request_hash: str


def stage_answer(deps: Needs, uow: UnitOfWork, idem: Idem | None, answer: Answer) -> Answer:
    """Keep `answer` as the first answer to the client's Idempotency-Key, in the same
    transaction as the write; returns it, for the attempt to hand back once committed."""
    if idem is None:
        return answer
    now = deps.clock()
    deps.idempotency.stage(
        uow,
        idem.principal,
        idem.key,
        StoredAnswer(idem.request_hash, answer.created, answer.body),
        expires_at=now + timedelta(hours=deps.settings.idempotency_ttl_hours),
        now=now,
        home=answer.home,
    )
    return answer


def run_write(deps: Needs, idem: Idem | None, attempt: Callable[[], Answer]) -> Answer:
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
        same_request(stored.request_hash, idem.request_hash, "Idempotency-Key")
        return Answer(stored.response, stored.created, replayed=True)

    for attempt_no in range(deps.settings.write_attempts):
        try:
            return attempt()
        except WriteRejected as rejected:
            if rejected.broke(Rule.IDEMPOTENCY_KEY_IS_NEW):
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


def retry(d: Needs, attempt: Callable[[], T]) -> T:
    """Run `attempt` (read, decide, one transaction) until it commits: a write of the engine's
    own, with no Idempotency-Key to answer (a read's settlement, the stream consumer's)."""
    for attempt_no in range(d.settings.write_attempts):
        try:
            return attempt()
        except WriteRejected:
            d.backoff(attempt_no)
    raise ConcurrentUpdate("the member kept changing under this request; retry it")
