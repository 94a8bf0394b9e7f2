"""Cold start: the cost of `import app` in a fresh interpreter, against importing the framework
alone (chalice, pynamodb, pydantic, boto3), in interleaved runs so both see the same machine.

A Lambda cold start runs the interpreter, then the handler module's import; the interpreter is
the same for every function, so the import is what the code decides. Printed: the median CPU
time of each (CPU, not wall: this VM's wall clock swings by half from run to run) and the ratio
of the medians; where valgrind is installed, also the instructions each import executes, which
do not vary between runs at all.

The framework's line imports what any app of these libraries loads: `import pydantic` alone
loads almost nothing (its attributes load on first use), and `from pydantic import BaseModel`
still leaves out `pydantic.fields` (with `pydantic.types` and `annotated_types`), which pydantic
loads for the first model that has a field, so the line imports `Field` too."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK = (
    "import chalice.app, pynamodb.models, pynamodb.connection, boto3; "
    "from pydantic import BaseModel, Field"
)
APP = "import app"
EMPTY = "pass"
TIMED = (
    "import time; started = time.process_time(); {statement}; "
    "print((time.process_time() - started) * 1000)"
)


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "LOYALTY_PII_KEY": os.environ.get("LOYALTY_PII_KEY", "coldstart-pii-key-not-secret"),
        "PYTHONDONTWRITEBYTECODE": "",
    }


def _once(statement: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", TIMED.format(statement=statement)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure(runs: int = 21) -> tuple[float, float]:
    _once(APP)  # compile the .pyc files once, as a package built with them has them
    framework, app = [], []
    for _ in range(runs):
        framework.append(_once(FRAMEWORK))
        app.append(_once(APP))
    return statistics.median(framework), statistics.median(app)


def instructions(statement: str) -> int | None:
    """Instructions the interpreter executes for `python -c statement` (valgrind's count)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    counting = [valgrind, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    out = subprocess.run(
        [*counting, sys.executable, "-c", statement],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    return int(found.group(1).replace(",", "")) if found else None


def main(runs: int = 21, smoke: bool = False) -> None:
    runs = 1 if smoke else runs
    framework, app = measure(runs)
    print(f"\ncold start: import CPU time, median of {runs} interleaved fresh interpreters")
    print(f"{'framework alone':<18} {framework:>8.1f} ms   ({FRAMEWORK})")
    print(f"{'import app':<18} {app:>8.1f} ms")
    print(f"{'ratio':<18} {app / framework:>8.2f}×   (target ≤ 1.25)")
    empty = None if smoke else instructions(EMPTY)
    if empty is None:
        print("(valgrind not installed: no instruction counts)")
        return
    counted = {name: instructions(line) for name, line in (("framework", FRAMEWORK), ("app", APP))}
    if None in counted.values():
        return
    fw, ap = (counted[name] - empty for name in ("framework", "app"))  # type: ignore[operator]
    print(f"instructions (valgrind), beyond an empty interpreter's {empty / 1e6:,.0f} M:")
    print(f"{'framework alone':<18} {fw / 1e6:>8,.0f} M")
    print(f"{'import app':<18} {ap / 1e6:>8,.0f} M")
    print(f"{'ratio':<18} {ap / fw:>8.2f}×")


if __name__ == "__main__":
    main()
