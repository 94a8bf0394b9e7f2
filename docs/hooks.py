"""MkDocs hook: the site's API reference is the document the app serves, built at `make docs`
time from the same route table and models (no hand-written copy), and so is the event
catalogue."""

from __future__ import annotations

import json
import os
from typing import Any

from mkdocs.structure.files import File, Files


def on_files(files: Files, config: Any) -> Files:
    os.environ.setdefault("LOYALTY_BRAND", "demo")
    import app  # noqa: F401  (registers every route)
    from chalicelib.api.openapi import document
    from chalicelib.events import catalogue

    for name, body in [
        ("openapi.json", document()),
        ("asyncapi.json", catalogue.document(os.environ["LOYALTY_BRAND"])),
    ]:
        files.append(File.generated(config, name, content=json.dumps(body, indent=1)))
    return files
