"""Cold start: the time to `import app` in a fresh interpreter, against importing the framework
alone (chalice, pynamodb, pydantic, boto3), in interleaved runs so both see the same machine.

A Lambda cold start runs the interpreter, then the handler module's import; the interpreter is
the same for every function, so the import is what the code decides. Printed: the median of each
and the ratio of the medians. `import pydantic` alone loads almost nothing (its attributes load on
first use), so the framework's line imports `BaseModel`, as any pydantic code does."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK = (
    "import chalice.app, pynamodb.models, pynamodb.connection, boto3; "
    "from pydantic import BaseModel"
)
APP = "import app"
TIMED = (
    "import time; started = time.perf_counter(); {statement}; "
    "print((time.perf_counter() - started) * 1000)"
)


def _once(statement: str) -> float:
    env = {
        **os.environ,
        "LOYALTY_PII_KEY": os.environ.get("LOYALTY_PII_KEY", "coldstart-pii-key-not-secret"),
        "PYTHONDONTWRITEBYTECODE": "",
    }
    out = subprocess.run(
        [sys.executable, "-c", TIMED.format(statement=statement)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure(runs: int = 15) -> tuple[float, float]:
    _once(APP)  # compile the .pyc files once, as a package built with them has them
    framework, app = [], []
    for _ in range(runs):
        framework.append(_once(FRAMEWORK))
        app.append(_once(APP))
    return statistics.median(framework), statistics.median(app)


def main(runs: int = 15) -> None:
    framework, app = measure(runs)
    print(f"\ncold start: import time, median of {runs} interleaved fresh interpreters")
    print(f"{'framework alone':<18} {framework:>8.1f} ms   ({FRAMEWORK})")
    print(f"{'import app':<18} {app:>8.1f} ms")
    print(f"{'ratio':<18} {app / framework:>8.2f}×   (target ≤ 1.25)")


if __name__ == "__main__":
    main()
