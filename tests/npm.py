"""npm packages the tests run with Node, installed once into `.cache/` from the npm registry."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def installed(package: str, module: str, folder: str) -> Path:
    """`package` (name@version) installed under `.cache/<folder>`; `module` is its path in
    node_modules, whose presence says it is there already."""
    where = ROOT / ".cache" / folder
    if not (where / "node_modules" / module).exists():
        where.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(where),
                package,
            ],
            check=True,
            timeout=300,
        )
    return where
