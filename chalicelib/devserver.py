"""`loyalty dev`: the same Chalice app served on 127.0.0.1 against an embedded moto DynamoDB.

Each DynamoDB call is serialised (DynamoDB makes each call atomic; moto alone does not), and the
table is snapshotted to a git-ignored folder after every change and on shutdown, then reloaded on
start, so trying the product never loses what was entered.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[1]
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def _prepare_environment(data_dir: Path) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "LOYALTY_TABLE_NAME": "loyalty-dev",
        "LOYALTY_REGION": "us-east-1",
        "LOYALTY_BRAND": "demo",
    }.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    key_file = data_dir / "pii.key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
    os.environ["LOYALTY_PII_KEY"] = key_file.read_text().strip()


class SerialisedDynamo:
    """A lock around every botocore call, plus a dirty flag for the snapshot writer."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.dirty = threading.Event()

    def install(self) -> None:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        guard = self

        def serialised(client: Any, operation: str, params: Any) -> Any:
            with guard.lock:
                result = original(client, operation, params)
            if operation in WRITES:
                guard.dirty.set()
            return result

        BaseClient._make_api_call = serialised  # type: ignore[method-assign]


class Snapshot:
    def __init__(self, path: Path, table: str, region: str) -> None:
        import boto3

        self.path = path
        self.table = table
        self.client = boto3.client("dynamodb", region_name=region)

    def restore(self) -> int:
        if not self.path.exists():
            return 0
        items = json.loads(self.path.read_text())["items"]
        for start in range(0, len(items), 25):
            chunk = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            self.client.batch_write_item(RequestItems={self.table: chunk})
        return len(items)

    def write(self) -> None:
        items: list[Any] = []
        paginator = self.client.get_paginator("scan")
        for page in paginator.paginate(TableName=self.table):
            items.extend(page["Items"])
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"table": self.table, "items": items}))
        tmp.replace(self.path)  # atomic: a kill mid-write never leaves half a snapshot


def serve(host: str, port: int, data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    _prepare_environment(data_dir)

    from moto import mock_aws

    mock = mock_aws()
    mock.start()
    dynamo = SerialisedDynamo()
    dynamo.install()

    from chalice.cli.factory import CLIFactory

    from .demo import seed
    from .localserver import local_server
    from .services import api_keys
    from .services.deps import build, use
    from .settings import Settings
    from .store.models import create_table

    config_settings = Settings()
    deps = build(config_settings)
    use(deps)
    create_table()
    snapshot = Snapshot(data_dir / "table.json", config_settings.table_name, config_settings.region)
    restored = snapshot.restore()
    seed(deps)
    keys = _dev_keys(deps, data_dir, api_keys)
    dynamo.dirty.set()

    stop = threading.Event()

    def flush_forever() -> None:
        while not stop.is_set():
            if dynamo.dirty.wait(0.2):
                dynamo.dirty.clear()
                snapshot.write()

    writer = threading.Thread(target=flush_forever, name="snapshot", daemon=True)
    writer.start()

    factory = CLIFactory(project_dir=str(PROJECT_DIR), environ=dict(os.environ))
    config = factory.create_config_obj(chalice_stage_name="dev")
    try:  # bind before printing keys, so a busy port never looks like a running server
        server = local_server(config.chalice_app, config, host, port)
    except OSError as exc:
        stop.set()
        snapshot.write()
        sys.exit(f"cannot listen on {host}:{port} ({exc.strerror}); try PORT={port + 1} make dev")

    def shutdown(signum: int, frame: Any) -> None:
        stop.set()
        snapshot.write()
        print("snapshot written; bye", flush=True)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    print(f"loyalty dev: data in {data_dir} ({restored} items restored)", flush=True)
    print(f"storefront key: {keys['storefront']}", flush=True)
    print(f"admin key: {keys['admin']}", flush=True)
    print(f"listening on http://{host}:{port}  (OpenAPI: /v1/openapi.json)", flush=True)
    sys.stdout.flush()
    server.serve_forever()
    time.sleep(0.1)


def _dev_keys(deps: Any, data_dir: Path, api_keys: Any) -> dict[str, str]:
    """Reuse the keys of the last run if the restored table still knows them."""
    path = data_dir / "keys.json"
    keys: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    for scope in ("storefront", "admin"):
        if scope not in keys or api_keys.authenticate(deps, keys[scope]) is None:
            keys[scope], _ = api_keys.create(deps, scope, label="loyalty dev")
    path.write_text(json.dumps(keys))
    api_keys.forget_cached()
    return keys
