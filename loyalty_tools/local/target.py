"""Which stack a `loyalty` command works on: a deployed brand named by the environment, or the
running `make dev` of this checkout, found by itself. A missing or unreachable one is one line
that says what to set, and exit status 2, never a traceback."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from msgspec import Struct

from loyalty_tools.local import engine as dynamodb_local

ENGINE_FILE = "engine.json"  # written by `loyalty dev` while it runs on DynamoDB Local
EXPLICIT = ("LOYALTY_TABLE_NAME", "AWS_ENDPOINT_URL_DYNAMODB")


class LocalEngine(Struct, frozen=True):
    """What `loyalty dev` says of its engine, for the other commands of this checkout."""

    endpoint: str
    table: str
    brand: str
    region: str


def announce(data_dir: Path, found: LocalEngine) -> None:
    (data_dir / ENGINE_FILE).write_text(
        json.dumps({f: getattr(found, f) for f in LocalEngine.__struct_fields__})
    )


def withdraw(data_dir: Path) -> None:
    (data_dir / ENGINE_FILE).unlink(missing_ok=True)


def refuse(message: str) -> NoReturn:
    print(f"loyalty: {message}", file=sys.stderr)
    raise SystemExit(2)


def connect(local: Path | None = None) -> str:
    """Point this process at its stack (environment variables, as Lambda gets them) and say
    which, in one line. `local`: the data folder of a running `make dev` (default `.dev`, or
    LOYALTY_DEV_DATA), used unless the environment names a stack of its own."""
    if local is None and any(os.environ.get(name) for name in EXPLICIT):
        return _explicit()
    data_dir = local or Path(os.environ.get("LOYALTY_DEV_DATA", ".dev"))
    if not data_dir.exists():
        refuse(
            "no stack to work on: start `make dev` (this command then finds its engine by "
            "itself), or set LOYALTY_TABLE_NAME, AWS_DEFAULT_REGION and AWS credentials for a "
            "deployed brand (`loyalty deploy` prints the table's name)"
        )
    described = data_dir / ENGINE_FILE
    if not described.exists():
        if (data_dir / "table.json").exists():
            refuse(
                f"`make dev` in {data_dir} runs on moto, inside its own process: other commands "
                "cannot reach it. Install Java (apt-get install default-jre-headless) so it "
                "runs on DynamoDB Local, or use the API it serves"
            )
        refuse(f"`make dev` is not running on {data_dir}: start it first (PORT=… make dev)")
    found = LocalEngine(**json.loads(described.read_text()))
    if not dynamodb_local.answers(found.endpoint):
        refuse(
            f"the engine `make dev` started ({found.endpoint}, data in {data_dir}) does not "
            "answer: is `make dev` still running?"
        )
    os.environ.update(
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION=found.region,
        AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
        AWS_ENDPOINT_URL_DYNAMODB=found.endpoint,
        LOYALTY_TABLE_NAME=found.table,
        LOYALTY_REGION=found.region,
        LOYALTY_BRAND=found.brand,
        LOYALTY_PII_KEY=(data_dir / "pii.key").read_text().strip(),
    )
    os.environ.pop("AWS_PROFILE", None)
    return f"make dev's data in {data_dir} (DynamoDB Local on {found.endpoint})"


def _explicit() -> str:
    """The stack the environment names: it must say which table and have credentials."""
    table = os.environ.get("LOYALTY_TABLE_NAME")
    if not table:
        refuse("AWS_ENDPOINT_URL_DYNAMODB is set but LOYALTY_TABLE_NAME is not: name the table")
    import botocore.session

    session = botocore.session.get_session()
    if session.get_credentials() is None:
        refuse(
            f"no AWS credentials for table {table}: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (any values for a local engine)"
        )
    if not (session.get_config_variable("region") or os.environ.get("LOYALTY_REGION")):
        refuse(f"no region for table {table}: set AWS_DEFAULT_REGION")
    where = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or "AWS"
    return f"table {table} on {where}"
