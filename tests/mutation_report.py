"""`make mutate`'s report: per module, how many mutants the tests killed, and the survivors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

MUTANTS = Path("mutants")


def main(show: int = 40) -> int:
    totals: Counter[str] = Counter()
    survivors: list[str] = []
    print(
        f"{'module':<44} {'killed':>7} {'of them: mypy':>13} {'timeout':>7} {'survived':>8} "
        f"{'no tests':>8} {'score':>6}"
    )
    for meta in sorted(MUTANTS.rglob("*.meta")):
        results = json.loads(meta.read_text()).get("exit_code_by_key", {})
        counts = Counter(status_by_exit_code[code] for code in results.values() if code is not None)
        if not counts:
            continue
        # a mutant mypy refuses cannot land either (CI runs mypy): it counts as killed
        killed = counts["killed"] + counts["timeout"] + counts["caught by type check"]
        tried = killed + counts["survived"] + counts["no tests"]
        module = str(meta.relative_to(MUTANTS)).removesuffix(".py.meta")
        print(
            f"{module:<44} {killed:>7} {counts['caught by type check']:>13} "
            f"{counts['timeout']:>7} {counts['survived']:>8} {counts['no tests']:>8} "
            f"{killed / tried:>6.1%}"
        )
        totals.update(killed=killed, tried=tried)
        survivors += [
            name
            for name, code in results.items()
            if code is not None and status_by_exit_code[code] in ("survived", "no tests")
        ]
    if not totals["tried"]:
        # mutmut stops before any mutant when its first run of the tests fails (a file the
        # tests read that `also_copy` lacks): say so, rather than report nothing surviving
        print("no mutant was tried: run `mutmut run` by hand to see why", file=sys.stderr)
        return 1
    score = totals["killed"] / totals["tried"]
    print(f"{'all':<44} {totals['killed']:>7} {'':>13} {'':>7} {'':>8} {'':>8} {score:>6.1%}")
    print(f"\n{len(survivors)} surviving mutants" + (f" (first {show}):" if survivors else ""))
    for name in survivors[:show]:
        diff = subprocess.run(
            [sys.executable, "-m", "mutmut", "show", name], capture_output=True, text=True
        ).stdout
        changed = [line for line in diff.splitlines() if line[:2] in ("- ", "+ ")]
        print(f"  {name}\n      " + "\n      ".join(changed))
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 40))
