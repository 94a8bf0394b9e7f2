"""Shared fixtures: the DynamoDB engine, a table per test, a settable clock.

Two engines run the same integration, API and e2e suites:
- `moto` (the default, `make test`): in process at the botocore boundary, each call serialised
  (DynamoDB makes each call atomic; moto does not), so only the application's own races remain;
- `dynamodb-local` (`LOYALTY_TEST_ENGINE=dynamodb-local`, `make test-engine`): AWS's own engine,
  one per test process, a fresh table per test, no moto imported and no lock.
"""

import itertools
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta

import pytest

ENGINE = os.environ.get("LOYALTY_TEST_ENGINE", "moto")
if ENGINE not in ("moto", "dynamodb-local"):
    raise pytest.UsageError(f"LOYALTY_TEST_ENGINE={ENGINE!r}: moto or dynamodb-local")
if ENGINE == "moto":
    import moto  # noqa: F401  (must come before any botocore client exists)

    from loyalty_tools.local import moto_streams

    moto_streams.install()  # a cancelled transaction leaves no record on moto's stream

for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "LOYALTY_REGION": "us-east-1",
    "LOYALTY_TABLE_NAME": "loyalty-test",
    "LOYALTY_PII_KEY": "test-pii-key-not-secret",
}.items():
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)

from botocore.client import BaseClient  # noqa: E402

from loyalty_tools.local import engine as dynamodb_local  # noqa: E402

if ENGINE == "dynamodb-local":
    _ENGINE_PORT = dynamodb_local.free_port()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = f"http://127.0.0.1:{_ENGINE_PORT}"
else:
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)

from chalicelib.domain.program import Program  # noqa: E402
from chalicelib.services import api_keys, program  # noqa: E402
from chalicelib.services.deps import Deps, build, use  # noqa: E402
from chalicelib.settings import Settings  # noqa: E402
from chalicelib.store.models import Item, create_table  # noqa: E402
from loyalty_tools.local.http import emulate_unauthorized  # noqa: E402

emulate_unauthorized()  # chalice.test.Client answers an unknown key as API Gateway does: 401

T0 = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)  # noon in Shanghai


class Clock:
    """An injected clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


_call_lock = threading.RLock()
_original_call = BaseClient._make_api_call


def _serialised_call(self, operation, params):  # type: ignore[no-untyped-def]
    # DynamoDB makes each API call atomic; moto in-process does not. Serialising each call keeps
    # only the application's own read-then-write races, which is what concurrency tests look for.
    with _call_lock:
        return _original_call(self, operation, params)


@pytest.fixture(autouse=True)
def _serialise_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    if ENGINE == "moto":
        monkeypatch.setattr(BaseClient, "_make_api_call", _serialised_call)


@pytest.fixture(scope="session")
def engine() -> Iterator[dynamodb_local.DynamoDBLocal | None]:
    """DynamoDB Local for this test process (in memory), or None under moto."""
    if ENGINE != "dynamodb-local":
        yield None
        return
    local = dynamodb_local.start(None, port=_ENGINE_PORT)
    yield local
    local.stop()


def in_engine() -> AbstractContextManager[object]:
    """What a test that builds its own table runs inside: moto's mock, or nothing (the engine)."""
    if ENGINE == "moto":
        from moto import mock_aws

        return mock_aws()
    return nullcontext()


_tables = itertools.count()


TEST_PROGRAM = Program(
    name="Test Brand",
    currency="CNY",
    time_zone="Asia/Shanghai",
    return_window_days=0,
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def aws(engine: object) -> Iterator[str]:
    """The table name this test may use, in an engine where it does not exist yet."""
    with in_engine():
        yield "loyalty-test" if ENGINE == "moto" else f"loyalty-t{os.getpid()}-{next(_tables)}"


@pytest.fixture
def deps(aws: str, clock: Clock) -> Iterator[Deps]:
    built = build(
        Settings(table_name=aws, pii_key="test-pii-key-not-secret", program_cache_seconds=0),
        clock=clock,
        backoff=lambda attempt: None,
    )
    use(built)
    create_table()
    api_keys.forget_cached()
    yield built
    use(None)
    if ENGINE == "dynamodb-local":
        Item.delete_table()


def set_program(deps: Deps, **changes: object) -> Program:
    current = deps.program_store.current()
    document = TEST_PROGRAM.model_copy(update={**changes, "version": None})
    program.put(deps, document, None)
    assert current is None or deps.program_store.current() is not None
    return deps.program_store.current()  # type: ignore[return-value]


@pytest.fixture
def pump(deps: Deps):
    """Hand the table's stream, from where the last pump stopped, to the stream consumer, as
    Lambda's poller does a second or so after the writes: what a test reads of the figures kept
    off the stream is there after `pump()`."""
    from chalicelib.jobs.stream import consume
    from tests.streams import Stream

    reader: list[Stream] = []

    def run():  # type: ignore[no-untyped-def]
        if not reader:  # the table exists once `deps` made it
            reader.append(Stream(deps.settings.table_name))
        reports = [
            consume(deps, records, shard_id)
            for shard_id, records in reader[0].read_shards()
            if records
        ]
        return reports[-1] if reports else None

    return run


@pytest.fixture
def brand(deps: Deps) -> Deps:
    """A brand with the test program stored."""
    set_program(deps)
    return deps


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`moto_slow` tests run on DynamoDB Local only (see the marker)."""
    if ENGINE != "moto":
        return
    skip = pytest.mark.skip(reason="moto_slow: on DynamoDB Local (make test-engine, and CI)")
    for item in items:
        if item.get_closest_marker("moto_slow") is not None:
            item.add_marker(skip)
