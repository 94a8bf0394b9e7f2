"""Where webhooks may go, judged on the URL's text: https anywhere, plain http only to this
machine and only when trying locally."""

import pytest

from chalicelib.domain.webhooks import url_shape_problem


@pytest.mark.parametrize(
    "url", ["http://localhost:8080/hooks", "http://127.0.0.1/hooks", "http://[::1]:9000/"]
)
def test_plain_http_reaches_this_machine_only_when_trying_locally(url):
    assert url_shape_problem(url, allow_loopback=True) is None
    assert "must be https" in url_shape_problem(url, allow_loopback=False)


@pytest.mark.parametrize("url", ["http://example.com/hooks", "http://localhost.example.com/"])
def test_plain_http_elsewhere_is_refused_even_when_trying_locally(url):
    assert "must be https" in url_shape_problem(url, allow_loopback=True)


def test_https_user_names_and_bad_ports():
    assert url_shape_problem("https://hooks.example.com/x", allow_loopback=False) is None
    assert "user name" in url_shape_problem("https://a:b@example.com/", allow_loopback=False)
    assert "not a URL" in url_shape_problem("https://example.com:port/", allow_loopback=False)
    assert "https://" in url_shape_problem("ftp://example.com/", allow_loopback=False)
