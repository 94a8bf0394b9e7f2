"""Over real HTTP against the local server, started as `make dev` starts it (`loyalty dev`):
on DynamoDB Local under `make test-engine`, on the moto fallback under `make test`."""

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from loyalty_tools.local.engine import java
from tests.conftest import ENGINE
from tests.devserver import Server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
if ENGINE == "dynamodb-local" and java() is None:
    pytest.skip("DynamoDB Local needs Java", allow_module_level=True)


def _engine_processes(data_dir: Path) -> int:
    found = subprocess.run(["pgrep", "-f", f"dbPath {data_dir}"], capture_output=True, text=True)
    return len(found.stdout.split())


def test_checkout_over_http_survives_a_restart(tmp_path):
    server = Server(tmp_path)
    try:
        assert set(server.keys) == {"storefront", "admin"}
        assert any(f"engine {ENGINE}" in line for line in server.banner)
        assert requests.get(server.url + "/v1/openapi.json", timeout=10).status_code == 200
        enrolled = server.call("POST", "/v1/members", {"phone": "13800138000"})
        assert enrolled.status_code == 201
        member_id = enrolled.json()["member_id"]
        # the demo program: 1 point per 1.00, tea earns double; an order from an offline till
        # past its 7-day return window is spendable at once
        last_week = (datetime.now(UTC) - timedelta(days=8)).isoformat()
        order = {
            "order_id": "A-1",
            "amount": 8800,
            "currency": "CNY",
            "occurred_at": last_week,
            "items": [{"sku": "LONGJING", "category": "tea", "amount": 8800}],
        }
        key = {"Idempotency-Key": "pos-1-A-1"}
        bought = server.call("POST", f"/v1/members/{member_id}/purchases", order, headers=key)
        assert bought.status_code == 201, bought.text
        assert bought.json()["points_earned"] == 176
        assert bought.json()["points_status"] == "vested"
        retried = server.call("POST", f"/v1/members/{member_id}/purchases", order, headers=key)
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
        if ENGINE == "dynamodb-local":
            server.kill()  # no goodbye: DynamoDB Local has the write on disk already
        else:
            server.stop()  # moto keeps only what the snapshot wrote at shutdown
    if ENGINE == "dynamodb-local":
        time.sleep(1)
        assert _engine_processes(tmp_path) == 0  # no engine outlives its server

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
    assert _engine_processes(tmp_path) == 0


@pytest.mark.skipif(
    ENGINE != "dynamodb-local", reason="moto serialises every call: not a load test"
)
def test_twenty_clients_at_once__are_all_answered_and_never_overdraw(tmp_path):
    server = Server(tmp_path)
    try:
        rich = server.call("POST", "/v1/members", {"phone": "13900000000"}).json()["member_id"]
        last_week = (datetime.now(UTC) - timedelta(days=8)).isoformat()  # past its window
        seeded = server.call(
            "POST",
            f"/v1/members/{rich}/purchases",
            {"order_id": "seed", "amount": 50_000, "currency": "CNY", "occurred_at": last_week},
        )
        assert seeded.json()["points_earned"] == 500  # room for five redemptions of 100

        def client(n: int) -> list[int]:
            codes = []
            for i in range(10):
                if i < 3:  # thirty redemptions of one balance, twenty-five of them too many
                    body = {"order_id": f"r-{n}-{i}", "points": 100}
                    path = f"/v1/members/{rich}/redemptions"
                elif i < 4:
                    body, path = {"phone": f"1370000{n:04d}"}, "/v1/members"
                else:
                    path = f"/v1/members/{rich}"
                    codes.append(server.call("GET", path).status_code)
                    continue
                codes.append(server.call("POST", path, body).status_code)
            return codes

        with ThreadPoolExecutor(max_workers=20) as pool:
            codes = [code for batch in pool.map(client, range(20)) for code in batch]
        assert len(codes) == 200
        assert set(codes) <= {200, 201, 409}, codes
        after = server.call("GET", f"/v1/members/{rich}").json()
        assert after["points_balance"] == 0 and after["points_debt"] == 0
        assert codes.count(201) == 5 + 20  # five redemptions, twenty enrolments
    finally:
        server.stop()


@pytest.mark.skipif(
    ENGINE != "dynamodb-local", reason="the dev server follows DynamoDB Local's stream only"
)
def test_events_of_an_enrolment_and_a_purchase__are_there_to_pull_within_seconds(tmp_path):
    server = Server(tmp_path)
    try:
        enrolled = server.call("POST", "/v1/members", {"phone": "13800138000"})
        member_id = enrolled.json()["member_id"]
        bought = server.call(
            "POST",
            f"/v1/members/{member_id}/purchases",
            {"order_id": "A-1", "amount": 10_000, "currency": "CNY"},
        )
        assert bought.status_code == 201
        # retried, then replayed under another Idempotency-Key: no new fact, so no new event
        for key in ("retry-1", "retry-1", "retry-2"):
            again = server.call(
                "POST",
                f"/v1/members/{member_id}/purchases",
                {"order_id": "A-1", "amount": 10_000, "currency": "CNY"},
                headers={"Idempotency-Key": key},
            )
            assert again.status_code == 201 and again.json() == bought.json()
        # and the same new order from eight tills at once: one fact, one event
        order = {"order_id": "A-2", "amount": 5_000, "currency": "CNY"}
        with ThreadPoolExecutor(8) as tills:
            answers = list(
                tills.map(
                    lambda _: server.call("POST", f"/v1/members/{member_id}/purchases", order),
                    range(8),
                )
            )
        assert {a.status_code for a in answers} <= {201, 409}
        deadline = time.monotonic() + 10
        types: list[str] = []
        while time.monotonic() < deadline:
            page = server.call("GET", f"/v1/admin/events?member_id={member_id}", key="admin")
            types = sorted(e["type"] for e in page.json()["events"])
            if types.count("points.earned") == 2 and {"member.enrolled", "tier.changed"} <= set(
                types
            ):
                break
            time.sleep(0.2)
        # the first purchase also places the member on the ladder's first tier: tier.changed
        assert types == ["member.enrolled", "points.earned", "points.earned", "tier.changed"]
        time.sleep(1.5)  # a few more polls of the stream: still once each
        page = server.call("GET", f"/v1/admin/events?member_id={member_id}", key="admin")
        assert sorted(e["type"] for e in page.json()["events"]) == types
    finally:
        server.stop()


@pytest.mark.skipif(
    ENGINE != "dynamodb-local", reason="the dev server follows DynamoDB Local's stream only"
)
def test_a_registered_webhook_receives_signed_enrolment_and_purchase_events_once(tmp_path):
    import http.server
    import json

    from standardwebhooks.webhooks import Webhook

    got: list[tuple[dict[str, str], str]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(
                (dict(self.headers), self.rfile.read(int(self.headers["Content-Length"])).decode())
            )
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    server = Server(tmp_path)
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/loyalty"
        events = ["member.enrolled", "points.earned"]
        made = server.call(
            "POST", "/v1/admin/webhooks", {"url": url, "events": events}, key="admin"
        )
        assert made.status_code == 201, made.text
        secret, webhook_id = made.json()["secret"], made.json()["webhook_id"]
        refused = server.call(
            "POST",
            "/v1/admin/webhooks",
            {"url": "http://169.254.169.254/latest/meta-data/", "events": ["*"]},
            key="admin",
        )
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "url_not_allowed"
        member_id = server.call("POST", "/v1/members", {"phone": "13900139000"}).json()["member_id"]
        order = {"order_id": "W-1", "amount": 10_000, "currency": "CNY"}
        for key in ("w-1", "w-1", "w-2"):  # retried and replayed: one fact, one event
            bought = server.call(
                "POST",
                f"/v1/members/{member_id}/purchases",
                order,
                headers={"Idempotency-Key": key},
            )
            assert bought.status_code == 201
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(got) < 2:
            time.sleep(0.1)
        time.sleep(1.5)  # a few more polls: nothing comes twice
        verified = [Webhook(secret).verify(body, headers) for headers, body in got]
        assert sorted(e["type"] for e in verified) == events
        assert len({headers["webhook-id"] for headers, _ in got}) == 2
        pulled = server.call("GET", f"/v1/admin/events?member_id={member_id}", key="admin").json()
        assert {e["id"] for e in verified} <= {e["id"] for e in pulled["events"]}
        deliveries = server.call("GET", f"/v1/admin/webhooks/{webhook_id}/deliveries", key="admin")
        assert [d["status"] for d in deliveries.json()["deliveries"]] == ["delivered"] * 2
        assert json.loads(got[0][1])["member_id"] == member_id
    finally:
        server.stop()
        receiver.shutdown()


KILL_RUNS = 5


@pytest.mark.skipif(
    ENGINE != "dynamodb-local", reason="the moto fallback snapshots its table: it may lose more"
)
def test_an_answered_purchase_survives_kill_9_right_after_its_answer(tmp_path):
    """Issue 32: DynamoDB Local answers a transaction before its commit has run; the server
    killed within ~2 ms of a 201 lost that purchase in 3 of 5 runs. Each run here kills the
    whole process group the moment the 20th answer arrives, then every answered purchase must
    still be there (its Idempotency-Key replays the first answer)."""
    lost = []
    windows = []
    for run in range(KILL_RUNS):
        data = tmp_path / f"run-{run}"
        server = Server(data)
        member_id = server.call("POST", "/v1/members", {"phone": "13800138000"}).json()["member_id"]
        answered: list[tuple[str, dict]] = []
        lock = threading.Lock()
        killed = threading.Event()

        def buy(
            n: int, server=server, member_id=member_id, answered=answered, lock=lock, killed=killed
        ) -> None:
            for i in range(10):
                if killed.is_set():
                    return
                key = f"k-{n}-{i}"
                body = {"order_id": f"o-{n}-{i}", "amount": 1_000 + n, "currency": "CNY"}
                try:
                    response = server.call(
                        "POST",
                        f"/v1/members/{member_id}/purchases",
                        body,
                        headers={"Idempotency-Key": key},
                    )
                except requests.RequestException:
                    return  # the server is gone
                answered_at = time.perf_counter()
                if response.status_code != 201:
                    continue
                with lock:
                    answered.append((key, body))
                    if len(answered) == 20 and not killed.is_set():
                        windows.append(round((time.perf_counter() - answered_at) * 1000, 3))
                        server.kill()
                        killed.set()

        with ThreadPoolExecutor(max_workers=5) as pool:
            list(pool.map(buy, range(5)))
        assert killed.is_set()
        again = Server(data)
        try:
            for key, body in answered:
                replay = again.call(
                    "POST",
                    f"/v1/members/{member_id}/purchases",
                    body,
                    headers={"Idempotency-Key": key},
                )
                if replay.headers.get("Idempotent-Replayed") != "true":
                    lost.append((run, key))
        finally:
            again.kill()
    assert max(windows) < 2, windows  # killed within 2 ms of the answer, as the issue found
    assert lost == [], f"answered, then lost to kill -9 ({windows} ms after the answer): {lost}"


@pytest.mark.skipif(
    ENGINE != "dynamodb-local", reason="other commands reach make dev's DynamoDB Local only"
)
def test_the_cli_beside_a_running_server__finds_its_engine_by_itself(tmp_path):
    """Issue 32: `loyalty jobs run` beside `make dev` printed a 315-line traceback for want of
    five environment variables."""
    import datetime as dt
    import os
    import sys

    server = Server(tmp_path)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOYALTY_"))}
        loyalty = str(Path(sys.executable).parent / "loyalty")
        yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        ran = subprocess.run(
            [loyalty, "--local", str(tmp_path), "jobs", "run", "expiry", "--date", yesterday],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ran.returncode == 0, ran.stderr
        assert "DynamoDB Local" in ran.stderr and f"expiry {yesterday} finished" in ran.stdout
        listed = server.call("GET", "/v1/admin/jobs?job=expiry", key="admin").json()["runs"]
        assert [run["business_date"] for run in listed] == [yesterday]
    finally:
        server.stop()


@pytest.mark.skipif(
    ENGINE != "dynamodb-local", reason="the dev server follows DynamoDB Local's stream only"
)
def test_after_a_restart__events_follow_writes_within_seconds_whatever_the_history(tmp_path):
    """Issue 32: the follower began every shard at TRIM_HORIZON, so after a restart it read the
    whole retained stream again (11 minutes behind on a 23 MB `.dev`). It keeps its place."""
    import json
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    import boto3

    from chalicelib.domain.members import Member
    from chalicelib.store.members import member_item

    server = Server(tmp_path)
    try:
        endpoint = next(
            line.split(" on ")[1].split(",")[0]
            for line in server.banner
            if "DynamoDB Local" in line
        )
        engine = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        now = datetime.now(UTC)
        history = [
            member_item(
                Member(member_id=f"mem_{n:026d}", created_at=now, updated_at=now, version=1),
                ZoneInfo("Asia/Shanghai"),
            ).serialize()
            for n in range(1_500)
        ]
        for first in range(0, len(history), 25):  # a history: 1,500 enrolments
            puts = [{"PutRequest": {"Item": item}} for item in history[first : first + 25]]
            engine.batch_write_item(RequestItems={"loyalty-dev": puts})
        last = f"mem_{1_499:026d}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the follower reads it all once
            page = server.call("GET", f"/v1/admin/events?member_id={last}", key="admin").json()
            if page["events"]:
                break
            time.sleep(0.5)
        assert page["events"], "the history's events never came"
        time.sleep(1)  # its place recorded after the batch
        kept = json.loads((tmp_path / "stream.json").read_text())
        assert kept["shards"], kept
    finally:
        server.kill()
    again = Server(tmp_path)
    try:
        again.call("GET", "/v1/admin/program", key="admin")  # the app warm, as a request finds it
        time.sleep(1)  # the follower has started
        member_id = again.call("POST", "/v1/members", {"phone": "13800138000"}).json()["member_id"]
        written = time.monotonic()
        while time.monotonic() - written < 30:
            page = again.call("GET", f"/v1/admin/events?member_id={member_id}", key="admin")
            if page.json()["events"]:
                break
            time.sleep(0.1)
        lag = time.monotonic() - written
        assert page.json()["events"][0]["type"] == "member.enrolled"
        # Re-reading the history took it past 30 s; keeping its place, a second or two (3.1 s on a
        # machine busy with other suites): the bound tells the two apart without timing a test.
        assert lag < 15, f"the event came {lag:.1f} s after its write"
    finally:
        again.stop()
