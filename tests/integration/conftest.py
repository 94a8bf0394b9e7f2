"""The packaged stacks, made once per test process: the demo brand, and a brand added with
`loyalty brand add` in a copy of the project (so the checkout is left as it is)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOYALTY = Path(sys.executable).parent / "loyalty"
ADDED = ("acme", "--currency", "eur", "--timezone", "Europe/Berlin", "--region", "eu-central-1")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(LOYALTY), *args], capture_output=True, text=True, cwd=cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what `chalice package` reads, with one more brand added by the CLI."""
    copy = tmp_path_factory.mktemp("project")
    for name in ("app.py", "requirements.txt"):
        shutil.copy(ROOT / name, copy / name)
    for folder in ("chalicelib", "brands", ".chalice"):
        shutil.copytree(
            ROOT / folder,
            copy / folder,
            ignore=shutil.ignore_patterns("__pycache__", "deployments"),
        )
    run("brand", "add", *ADDED, "--project-dir", str(copy), cwd=copy)
    return copy


@pytest.fixture(scope="session")
def packaged(project: Path) -> dict[str, Path]:
    """brand -> its package folder (sam.json, deployment.zip), each linted by cfn-lint."""
    out = {}
    for brand in ("demo", "acme"):
        run("package", "--brand", brand, "--project-dir", str(project), cwd=project)
        out[brand] = project / "dist" / brand / "package"
    return out
