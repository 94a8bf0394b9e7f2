"""Over real HTTP against the local server, started as `make dev` starts it (`loyalty dev`)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
LOYALTY = shutil.which("loyalty", path=str(Path(sys.executable).parent)) or "loyalty"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOYALTY_"))}
        env["PORT"] = str(self.port)
        self.proc = subprocess.Popen(
            [LOYALTY, "dev", "--port", str(self.port), "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.keys: dict[str, str] = {}
        deadline = time.monotonic() + 60
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("loyalty dev exited before it was ready")
            if match := re.match(r"(storefront|admin) key: (\S+)", line):
                self.keys[match[1]] = match[2]
            if line.startswith("listening on"):
                break
        self.url = f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body=None, key: str = "storefront", **kw):
        headers = {"Authorization": f"Bearer {self.keys[key]}", **kw.pop("headers", {})}
        return requests.request(method, self.url + path, json=body, headers=headers, timeout=10)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def test_checkout_over_http_survives_a_restart(tmp_path):
    server = Server(tmp_path)
    try:
        assert set(server.keys) == {"storefront", "admin"}
        assert requests.get(server.url + "/v1/openapi.json", timeout=10).status_code == 200
        enrolled = server.call("POST", "/v1/members", {"phone": "13800138000"})
        assert enrolled.status_code == 201
        member_id = enrolled.json()["member_id"]
        # the demo program: 1 point per 1.00, tea earns double, points spendable at once
        bought = server.call(
            "POST",
            f"/v1/members/{member_id}/purchases",
            {
                "order_id": "A-1",
                "amount": 8800,
                "currency": "CNY",
                "items": [{"sku": "LONGJING", "category": "tea", "amount": 8800}],
            },
            headers={"Idempotency-Key": "pos-1-A-1"},
        )
        assert bought.status_code == 201, bought.text
        assert bought.json()["points_earned"] == 176
        assert bought.json()["points_status"] == "vested"
        retried = server.call(
            "POST",
            f"/v1/members/{member_id}/purchases",
            {
                "order_id": "A-1",
                "amount": 8800,
                "currency": "CNY",
                "items": [{"sku": "LONGJING", "category": "tea", "amount": 8800}],
            },
            headers={"Idempotency-Key": "pos-1-A-1"},
        )
        assert retried.json() == bought.json()
        assert retried.headers["Idempotent-Replayed"] == "true"
        refunded = server.call(
            "POST", f"/v1/members/{member_id}/refunds", {"order_id": "A-1", "amount": 4400}
        )
        assert refunded.status_code == 201 and refunded.json()["points_clawed_back"] == 88
        assert server.call("GET", "/v1/admin/program").status_code == 403
        assert server.call("GET", "/v1/admin/program", key="admin").json()["currency"] == "CNY"
        keys = dict(server.keys)
    finally:
        server.stop()

    again = Server(tmp_path)
    try:
        assert again.keys == keys
        found = again.call("POST", "/v1/members/lookup", {"phone": "+8613800138000"})
        assert found.status_code == 200
        assert found.json()["points_balance"] == 88
        ledger = again.call("GET", f"/v1/members/{member_id}/ledger").json()["entries"]
        assert [entry["kind"] for entry in ledger] == ["clawback", "earn"]
    finally:
        again.stop()
