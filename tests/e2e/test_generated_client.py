"""A client generated from the served OpenAPI document (openapi-python-client, as a brand's
engineers would generate theirs) enrols a member, records a purchase and reads the member back
over HTTP from the local server: the operation ids name its functions (`enroll_member`,
`record_purchase`, `get_member`). The docs' storefront page shows this same code
(`generated_client_walk.py`)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.devserver import Server
from tests.e2e.test_local_server import pytestmark as e2e  # the same markers and skips

pytestmark = e2e
# `make test` installs the generator in a venv of its own (its typer pin is older than our
# CLI's); the generated client runs there too, with its own dependencies (httpx, attrs)
TOOL = Path(__file__).resolve().parents[2] / ".cache/openapi-python-client/bin"
if not (TOOL / "openapi-python-client").exists():
    pytest.skip("make test installs openapi-python-client into .cache/", allow_module_level=True)


def test_a_generated_client_enrolls_buys_and_reads_a_member(tmp_path):
    server = Server(tmp_path / "data")
    try:
        document = tmp_path / "openapi.json"
        document.write_text(requests.get(server.url + "/v1/openapi.json", timeout=10).text)
        generate = [TOOL / "openapi-python-client", "generate", "--meta", "none"]
        generated = subprocess.run(
            [*generate, "--path", document, "--output-path", tmp_path / "loyalty_client"],
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": f"{TOOL}:{os.environ['PATH']}"},  # it formats with ruff
        )
        assert generated.returncode == 0 and "Warning" not in generated.stdout, generated.stdout
        walk = shutil.copy(Path(__file__).parent / "generated_client_walk.py", tmp_path)
        called = subprocess.run(
            [TOOL / "python", walk, server.url, server.keys["storefront"]],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
        assert called.returncode == 0, called.stdout + called.stderr
    finally:
        server.stop()
    printed = called.stdout.splitlines()
    assert printed[:2] == ["176 pending", "176 0"]
    answers = json.loads(printed[-1])
    assert (answers["earned"], answers["status"], answers["pending"]) == (176, "pending", 176)
    assert answers["balance"] == 0
    assert (answers["replayed"], answers["replayed_earned"]) == ("true", 176)
