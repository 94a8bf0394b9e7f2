"""The Lambda zip as shipped: what the runtime provides left out, every module compiled.

`chalice package` zips the app with everything `requirements.txt` pulls in, botocore included
(16 MB, through PynamoDB) and no `.pyc` files, so every cold start compiles every module it
imports. The Lambda Python runtime already has boto3, botocore and their dependencies (see the
README for the versions it ships), so they are removed, and each module is compiled once here
(`unchecked-hash` pycs: valid whatever the file times in the zip).
"""

from __future__ import annotations

import io
import py_compile
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

from msgspec import Struct

# Provided by the Lambda Python runtime (boto3 and what it depends on).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
# Powertools is a toolbox; the code loads its `logging` and `metrics` (which load `shared`,
# `tracing`'s lazy shell and `utilities.jmespath_utils`). The event handlers and the other
# utilities (most of its megabyte) are never imported, so they are left out; the package test
# imports the app and writes a log line and a metric from the slimmed zip alone.
NEVER_IMPORTED = ("aws_lambda_powertools/event_handler/", "aws_lambda_powertools/utilities/")
STILL_IMPORTED = (
    "aws_lambda_powertools/utilities/__init__.py",
    "aws_lambda_powertools/utilities/jmespath_utils/",
)


def _never_imported(name: str) -> bool:
    return name.startswith(NEVER_IMPORTED) and not name.startswith(STILL_IMPORTED)


def _top(name: str) -> str:
    """The distribution a zip entry belongs to: `botocore/x.py` and
    `botocore-1.2.dist-info/...` are both `botocore`; `six.py` is `six`."""
    first = name.split("/", 1)[0]
    for suffix in (".dist-info", ".data", ".py"):
        if first.endswith(suffix):
            first = first[: -len(suffix)]
    first = first.split("-", 1)[0]
    return {"python_dateutil": "dateutil"}.get(first, first)


class Slimmed(Struct, frozen=True):
    size: int  # bytes of the zip
    unzipped: int
    biggest: list[tuple[str, int]]  # (part, compressed bytes), largest first
    removed: list[str]
    unused: list[str]
    compiled: int


def slim(zip_path: Path) -> Slimmed:
    """Rewrite `zip_path` without the runtime's libraries and with compiled modules."""
    removed: set[str] = set()
    unused: set[str] = set()
    compiled = 0
    out = io.BytesIO()
    with (
        zipfile.ZipFile(zip_path) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
        tempfile.TemporaryDirectory() as scratch,
    ):
        for info in source.infolist():
            top = _top(info.filename)
            if top in RUNTIME_PROVIDED:
                removed.add(top)
                continue
            if _never_imported(info.filename):
                unused.add("/".join(info.filename.split("/")[:2]))
                continue
            if "/__pycache__/" in f"/{info.filename}" or info.filename.endswith(".pyc"):
                continue
            data = source.read(info)
            target.writestr(info, data)
            if info.filename.endswith(".py"):
                pyc = _compile(info.filename, data, Path(scratch))
                if pyc is not None:
                    target.writestr(_pyc_name(info.filename), pyc)
                    compiled += 1
    zip_path.write_bytes(out.getvalue())
    with zipfile.ZipFile(zip_path) as done:
        parts: Counter[str] = Counter()
        unzipped = 0
        for info in done.infolist():
            parts[_top(info.filename)] += info.compress_size
            unzipped += info.file_size
    return Slimmed(
        size=zip_path.stat().st_size,
        unzipped=unzipped,
        biggest=parts.most_common(5),
        removed=sorted(removed),
        unused=sorted(unused),
        compiled=compiled,
    )


def _pyc_name(filename: str) -> str:
    folder, _, module = filename.rpartition("/")
    stem = module[: -len(".py")]
    tag = sys.implementation.cache_tag
    return f"{folder + '/' if folder else ''}__pycache__/{stem}.{tag}.pyc"


def _compile(filename: str, source: bytes, scratch: Path) -> bytes | None:
    """The module's bytecode, or None for a file that is not Python 3 (some packages ship
    templates named .py)."""
    src = scratch / "module.py"
    dst = scratch / "module.pyc"
    src.write_bytes(source)
    try:
        py_compile.compile(
            str(src),
            cfile=str(dst),
            dfile=filename,
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    except py_compile.PyCompileError:
        return None
    return dst.read_bytes()
