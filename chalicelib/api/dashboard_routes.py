"""The merchant's dashboard (数据看板): one static page, its script and the vendored Chart.js,
served by the same app with no build step. The page asks for an admin key once, keeps it in the
browser's session storage and sends it as the bearer header to the admin API it reads
(`/v1/admin/kpis`, `/v1/admin/jobs`); the files themselves hold nothing secret."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from chalice import Response

from .blueprint import api

FILES = Path(__file__).resolve().parent.parent / "dashboard"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
# the page's own script and styles only: no other origin, no inline script
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@cache
def _file(name: str) -> str:
    return (FILES / name).read_text(encoding="utf-8")


def _serve(name: str) -> Response:
    return Response(
        body=_file(name),
        status_code=200,
        headers={
            "Content-Type": TYPES[Path(name).suffix],
            "Cache-Control": "no-cache" if name == "index.html" else "public, max-age=86400",
            "Content-Security-Policy": POLICY,
            "X-Content-Type-Options": "nosniff",
        },
    )


@api.route("/dashboard", methods=["GET"])
def dashboard() -> Response:
    return _serve("index.html")


@api.route("/dashboard/dashboard.js", methods=["GET"])
def dashboard_script() -> Response:
    return _serve("dashboard.js")


@api.route("/dashboard/chart.umd.min.js", methods=["GET"])
def chart_js() -> Response:
    return _serve("chart.umd.min.js")
