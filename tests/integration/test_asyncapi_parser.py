"""The event catalogue as AsyncAPI's own parser reads it (npm `@asyncapi/parser`, installed
once into `.cache/` from the npm registry; needs Node and npm)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from chalicelib.events.catalogue import document
from chalicelib.events.derive import TYPES
from tests.npm import installed

ROOT = Path(__file__).resolve().parents[2]
PARSER = "@asyncapi/parser@3.6.6"
HERE = Path(__file__).parent / "asyncapi"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.long,  # reads no table: once, on moto, is enough for CI
    pytest.mark.skipif(shutil.which("npm") is None, reason="the AsyncAPI parser needs Node/npm"),
]


def _parser_dir() -> Path:
    return installed(PARSER, "@asyncapi/parser", "asyncapi-parser")


def test_the_catalogue__parses_with_no_error_and_a_message_per_event_type(tmp_path):
    where = _parser_dir()
    shutil.copy(HERE / "check.mjs", where / "check.mjs")
    doc = tmp_path / "asyncapi.json"
    doc.write_text(json.dumps(document("demo")))
    result = subprocess.run(
        ["node", str(where / "check.mjs"), str(doc)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    verdict = json.loads(result.stdout.strip().splitlines()[-1])
    assert verdict == {"ok": True, "messages": len(TYPES)}
