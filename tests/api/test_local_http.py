"""The local server's own HTTP layer, over real sockets, in front of the same app (moto)."""

import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from chalice.cli.factory import CLIFactory

from app import app
from chalicelib.services import api_keys
from loyalty_tools.local.http import local_server, path_problem
from tests.api.conftest import PROJECT


@pytest.fixture
def server(brand):
    storefront, _ = api_keys.create(brand, "storefront")
    admin, _ = api_keys.create(brand, "admin")
    config = CLIFactory(project_dir=PROJECT).create_config_obj(chalice_stage_name="dev")
    running = local_server(app, config, "127.0.0.1", 0)
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    port = running.server.server_address[1]
    yield f"http://127.0.0.1:{port}", port, {"storefront": storefront, "admin": admin}
    running.server.shutdown()
    running.server.server_close()


def _raw(port: int, request: bytes) -> tuple[int, dict]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                None,
            )
            if length is not None and len(body) >= length:
                break
    status = int(head.split(b" ")[1])
    return status, json.loads(body[:length])


def _error(body: dict) -> dict:
    assert set(body) == {"error"} and set(body["error"]) >= {"type", "code", "message", "param"}
    return body["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/admin/coupon-templates#/v1/members",
        "/v1/members/../admin/program",
        "/v1/admin%2Fprogram",
        "/v1/members/%2e%2e/admin/program",
        "/v1/members/./x",
    ],
)
def test_paths_the_authorizer_and_router_could_read_differently__are_refused(server, path):
    _url, port, keys = server
    request = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {keys['storefront']}\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    ).encode()
    status, body = _raw(port, request)
    assert status == 400 and _error(body)["param"] == "path"
    assert path_problem("/v1/members/mem_1/ledger?cursor=a%2Fb") is None  # queries may encode


def test_unknown_method__is_405_json_not_html(server):
    _url, port, _keys = server
    status, body = _raw(port, b"BREW /v1/members HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 405 and _error(body)["code"] == "method_not_allowed"


def test_gateway_answers__are_in_the_error_shape(server):
    url, _port, keys = server
    no_key = requests.get(url + "/v1/admin/program", timeout=10)
    assert no_key.status_code == 401 and _error(no_key.json())["code"] == "unauthenticated"
    storefront = {"Authorization": f"Bearer {keys['storefront']}"}
    for unknown in ("Bearer lk_sf_not-a-real-key", "Basic dXNlcjpwYXNz", "Bearer"):
        refused = requests.get(
            url + "/v1/admin/program", headers={"Authorization": unknown}, timeout=10
        )
        assert refused.status_code == 401, unknown  # issue 32: it was a 403
        assert _error(refused.json())["code"] == "unauthenticated"
    scoped = requests.get(url + "/v1/admin/program", headers=storefront, timeout=10)
    assert scoped.status_code == 403 and _error(scoped.json())["code"] == "forbidden"
    nowhere = requests.get(url + "/v1/nowhere", headers=storefront, timeout=10)
    assert nowhere.status_code == 404 and _error(nowhere.json())["code"] == "route_not_found"
    wrong = requests.delete(url + "/v1/members", headers=storefront, timeout=10)
    assert wrong.status_code == 405 and _error(wrong.json())["code"] == "method_not_allowed"


def test_twenty_concurrent_clients__are_all_answered(server):
    url, _port, keys = server
    headers = {"Authorization": f"Bearer {keys['storefront']}"}

    def enroll(n: int) -> int:
        body = {"phone": f"1380013{n:04d}"}
        return requests.post(
            url + "/v1/members", json=body, headers=headers, timeout=30
        ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(enroll, range(20))) == [201] * 20
