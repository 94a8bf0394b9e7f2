"""The dashboard's files are served by the app, to anyone, with a strict content policy; the
figures they show need the admin key (the page sends it)."""

import pytest


@pytest.mark.parametrize(
    ("path", "kind", "inside"),
    [
        ("/dashboard", "text/html", "会员数据看板"),
        ("/dashboard/dashboard.js", "text/javascript", "/v1/admin/kpis"),
        ("/dashboard/chart.umd.min.js", "text/javascript", "Chart.js v4"),
    ],
)
def test_the_page_its_script_and_the_vendored_chart_library(api, path, kind, inside):
    answer = api.call("GET", path, None, key=None)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith(kind)
    assert inside in answer.body.decode()
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_the_figures_behind_it_need_the_admin_key(api):
    assert api.call("GET", "/v1/admin/kpis", None, key=None).status_code == 401
    assert api.get("/v1/admin/kpis").status_code == 403
