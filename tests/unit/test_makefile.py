"""The Makefile's promises (issue 32): `make dev` gets the real engine wherever `make test-engine`
would, and CI runs every part of the bench."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(target: str) -> list[str]:
    done = subprocess.run(
        ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_make_dev__installs_java_as_make_test_engine_does_before_serving():
    dev, engine = _dry_run("dev"), _dry_run("test-engine")
    java_step = next(line for line in engine if "default-jre-headless" in line)
    assert java_step in dev
    assert dev.index(java_step) < next(i for i, line in enumerate(dev) if "loyalty dev" in line)


def test_ci__runs_the_bench_at_its_smoke_size():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make bench-smoke" in ci
    assert any("tests.bench.run --smoke" in line for line in _dry_run("bench-smoke"))
