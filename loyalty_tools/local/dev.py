"""`loyalty dev`: the same Chalice app on 127.0.0.1, against DynamoDB Local with its data on disk
(the default where Java is), or against moto in the same process (the fallback)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loyalty_tools.local import engine as dynamodb_local
from loyalty_tools.local import target

PROJECT_DIR = Path(__file__).resolve().parents[2]
ENGINES = ("dynamodb-local", "moto")
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def choose_engine(asked: str | None) -> tuple[str, str | None]:
    """The engine to run and, when falling back, the one line that says why and what to do."""
    wanted = asked or os.environ.get("LOYALTY_DEV_ENGINE") or "dynamodb-local"
    if wanted not in ENGINES:
        raise SystemExit(f"unknown engine {wanted!r}: one of {', '.join(ENGINES)}")
    if wanted == "dynamodb-local" and dynamodb_local.java() is None:
        if asked == "dynamodb-local":
            raise SystemExit(f"Java not found. {dynamodb_local.INSTALL_HINT}")
        return (
            "moto",
            f"Java not found, so using the in-process moto engine. {dynamodb_local.INSTALL_HINT}",
        )
    return wanted, None


def _environment(data_dir: Path) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "LOYALTY_TABLE_NAME": "loyalty-dev",
        "LOYALTY_REGION": "us-east-1",
        "LOYALTY_BRAND": "demo",
        # webhook receivers on this machine (plain http to 127.0.0.1) are fine when trying
        "LOYALTY_ALLOW_LOOPBACK_WEBHOOKS": "true",
        # the request lines are kept (one JSON line each); EMF metric lines mean nothing here
        "POWERTOOLS_METRICS_DISABLED": "true",
    }.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    key_file = data_dir / "pii.key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
    os.environ["LOYALTY_PII_KEY"] = key_file.read_text().strip()


class MotoEngine:
    """moto in this process: every call serialised (DynamoDB makes each call atomic, moto does
    not), and the table snapshotted to a file after changes, since moto keeps nothing."""

    def __init__(self, data_dir: Path) -> None:
        from moto import mock_aws

        self.path = data_dir / "table.json"
        self.mock = mock_aws()
        self.lock = threading.RLock()
        self.dirty = threading.Event()
        self.stopping = threading.Event()
        self.client: Any = None

    def start(self) -> None:
        from botocore.client import BaseClient

        from loyalty_tools.local import moto_streams

        moto_streams.install()  # its stream carries committed writes only, as DynamoDB's
        self.mock.start()
        original = BaseClient._make_api_call
        engine = self

        def serialised(client: Any, operation: str, params: Any) -> Any:
            with engine.lock:
                result = original(client, operation, params)
            if operation in WRITES:
                engine.dirty.set()
            return result

        BaseClient._make_api_call = serialised

    def restore(self, table: str) -> int:
        import boto3

        self.table = table
        self.client = boto3.client("dynamodb")
        if not self.path.exists():
            return 0
        items = [_from_json(item) for item in json.loads(self.path.read_text())["items"]]
        for start in range(0, len(items), 25):
            chunk = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            self.client.batch_write_item(RequestItems={table: chunk})
        return len(items)

    def write(self) -> None:
        items: list[Any] = []
        for page in self.client.get_paginator("scan").paginate(TableName=self.table):
            items.extend(_to_json(item) for item in page["Items"])
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"table": self.table, "items": items}))
        tmp.replace(self.path)  # atomic: a kill mid-write never leaves half a snapshot

    def keep_writing(self) -> None:
        def loop() -> None:
            while not self.stopping.is_set():
                if self.dirty.wait(0.2):
                    self.dirty.clear()
                    try:
                        self.write()
                    except Exception as exc:  # say so, and try again on the next change
                        print(f"snapshot failed, will retry: {exc!r}", file=sys.stderr)
                        self.dirty.set()

        threading.Thread(target=loop, name="snapshot", daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        if self.client is not None:
            self.write()


def _to_json(value: Any) -> Any:
    """An item as JSON: Binary values (the compressed answers) as base64 text."""
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"base64"}:
            return base64.b64decode(value["base64"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def serve(
    host: str, port: int, data_dir: Path, engine_name: str | None = None, reset: bool = False
) -> None:
    if reset and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    _environment(data_dir)
    chosen, why = choose_engine(engine_name)
    if why:
        print(why, flush=True)

    stops: list[Callable[[], None]] = []
    moto: MotoEngine | None = None
    if chosen == "dynamodb-local":
        try:
            local = dynamodb_local.start(data_dir)
        except dynamodb_local.EngineError as exc:
            raise SystemExit(str(exc)) from exc
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = local.endpoint
        dynamodb_local.durable_transactions()  # an answered write is on disk, even by kill -9
        stops.append(local.stop)
        # for the other `loyalty` commands of this checkout (jobs, reconcile, import, ...)
        target.announce(
            data_dir,
            target.LocalEngine(
                local.endpoint,
                os.environ["LOYALTY_TABLE_NAME"],
                os.environ["LOYALTY_BRAND"],
                os.environ["AWS_DEFAULT_REGION"],
            ),
        )
        stops.append(lambda: target.withdraw(data_dir))
        where = f"DynamoDB Local {dynamodb_local.VERSION} on {local.endpoint}, data in {data_dir}"
    else:
        moto = MotoEngine(data_dir)
        moto.start()
        stops.append(moto.stop)
        where = f"moto in process, snapshot in {moto.path}"

    try:
        server, keys, restored = _app_server(host, port, data_dir, moto)
    except BaseException:
        for stop in reversed(stops):
            stop()
        raise
    from chalicelib.jobs.webhooks import attempt
    from chalicelib.services.deps import deps
    from chalicelib.store.delivery_queue import LocalDeliveries
    from loyalty_tools.local.stream import follow

    following = threading.Event()
    # moto's stream starts anew with the restored table, whose figures the snapshot holds: it
    # is followed from its latest record (DynamoDB Local's from where it stopped)
    follow(deps(), following, data_dir, from_latest=moto is not None)
    d = deps()
    if isinstance(d.delivery_queue, LocalDeliveries):  # deliver webhooks as SQS would
        d.delivery_queue.start(
            lambda queued: print(
                f"webhook {queued['delivery_id']} attempt {queued['attempt']}: "
                f"{attempt(d, queued)}",
                flush=True,
            ),
            following,
        )
    stops.insert(0, following.set)

    def shutdown(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    print(f"loyalty dev: engine {chosen} ({where}){restored}", flush=True)
    print(f"storefront key: {keys['storefront']}", flush=True)
    print(f"admin key: {keys['admin']}", flush=True)
    print(f"listening on http://{host}:{port}  (OpenAPI: /v1/openapi.json)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        for stop in reversed(stops):
            stop()
        print("engine stopped; bye", flush=True)


def _app_server(host: str, port: int, data_dir: Path, moto: MotoEngine | None) -> Any:
    from chalice.cli.factory import CLIFactory

    from chalicelib.services import api_keys
    from chalicelib.services.deps import build, use
    from chalicelib.settings import Settings
    from chalicelib.store.models import create_table
    from loyalty_tools.demo import seed
    from loyalty_tools.local.http import local_server

    settings = Settings.from_environment()
    deps = build(settings)
    use(deps)
    create_table()
    restored = ""
    if moto is not None:
        restored = f", {moto.restore(settings.table_name)} items restored"
    seed(deps)
    keys = _dev_keys(deps, data_dir, api_keys)
    if moto is not None:
        moto.write()
        moto.keep_writing()
    factory = CLIFactory(project_dir=str(PROJECT_DIR), environ=dict(os.environ))
    config = factory.create_config_obj(chalice_stage_name="dev")
    try:  # bind before printing keys, so a busy port never looks like a running server
        server = local_server(config.chalice_app, config, host, port)
    except OSError as exc:
        sys.exit(f"cannot listen on {host}:{port} ({exc.strerror}); try PORT={port + 1} make dev")
    return server.server, keys, restored


def _dev_keys(deps: Any, data_dir: Path, api_keys: Any) -> dict[str, str]:
    """Reuse the keys of the last run if the table still knows them."""
    path = data_dir / "keys.json"
    keys: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    for scope in ("storefront", "admin"):
        if scope not in keys or api_keys.authenticate(deps, keys[scope]) is None:
            keys[scope], _ = api_keys.create(deps, scope, label="loyalty dev")
    path.write_text(json.dumps(keys))
    api_keys.forget_cached()
    return keys
