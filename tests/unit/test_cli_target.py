"""Which stack a `loyalty` command works on (issue 32): a missing configuration is one line that
says what to set, exit status 2, never a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

from loyalty_tools.local import target
from loyalty_tools.local.engine import free_port

LOYALTY = str(Path(sys.executable).parent / "loyalty")
CLEAN = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}


def _run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LOYALTY, *args],
        cwd=cwd,
        env={**CLEAN, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line_refusal(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    # at most the stack it found, then why it stopped
    assert 1 <= len(lines) <= 2 and all(line.startswith("loyalty: ") for line in lines), lines
    assert "Traceback" not in done.stderr + done.stdout
    return lines[-1]


def test_no_stack_at_all__says_to_start_make_dev_or_name_a_stack(tmp_path):
    said = _one_line_refusal(_run("jobs", "run", "expiry", "--date", "2026-12-01", cwd=tmp_path))
    assert "make dev" in said and "LOYALTY_TABLE_NAME" in said


def test_a_stack_without_credentials__says_what_to_set(tmp_path):
    done = _run("reconcile", cwd=tmp_path, LOYALTY_TABLE_NAME="loyalty-acme")
    said = _one_line_refusal(done)
    assert "AWS_ACCESS_KEY_ID" in said and "loyalty-acme" in said


def test_make_dev_stopped__is_named_as_such(tmp_path):
    data = tmp_path / ".dev"
    data.mkdir()
    (data / "pii.key").write_text("k" * 64)
    said = _one_line_refusal(_run("jobs", "list", cwd=tmp_path))
    assert "not running" in said
    gone = f"http://127.0.0.1:{free_port()}"
    target.announce(data, target.LocalEngine(gone, "loyalty-dev", "demo", "us-east-1"))
    said = _one_line_refusal(_run("jobs", "list", cwd=tmp_path))
    assert "does not answer" in said and gone in said


def test_an_unreachable_engine__is_one_line_not_a_traceback(tmp_path):
    gone = f"http://127.0.0.1:{free_port()}"
    done = _run(
        "jobs",
        "list",
        cwd=tmp_path,
        LOYALTY_TABLE_NAME="loyalty-dev",
        AWS_ENDPOINT_URL_DYNAMODB=gone,
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="x",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_MAX_ATTEMPTS="1",
    )
    said = _one_line_refusal(done)
    assert "did not answer" in said


@pytest.mark.parametrize("explicit", [{}, {"LOYALTY_DEV_DATA": "elsewhere"}])
def test_the_data_folder__is_dot_dev_or_named(tmp_path, explicit):
    said = _one_line_refusal(_run("jobs", "list", cwd=tmp_path, **explicit))
    assert "make dev" in said
