"""The dev server under load: write latency and requests/s with 1, 4 and 16 concurrent clients,
at 0, 10,000 and 100,000 members (generated straight into the table), on DynamoDB Local.

Each client enrols a new member and records a purchase for it, over real HTTP to `loyalty dev`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from loyalty_tools.local.engine import die_with_parent, free_port

LOYALTY = shutil.which("loyalty", path=str(Path(sys.executable).parent)) or "loyalty"
LEVELS = (1, 4, 16)
SIZES = tuple(int(s) for s in os.environ.get("BENCH_DEV_SIZES", "0,10000,100000").split(","))
WRITES_PER_CLIENT = 25


def _start(data_dir: Path) -> tuple[subprocess.Popen[str], str, str, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOYALTY_"))}
    proc = subprocess.Popen(
        [
            LOYALTY,
            "dev",
            "--port",
            str(port),
            "--data",
            str(data_dir),
            "--engine",
            "dynamodb-local",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=die_with_parent,  # a bench stopped by Ctrl-C leaves no server behind
    )
    assert proc.stdout is not None
    key = endpoint = ""
    for line in proc.stdout:
        if match := re.search(r"DynamoDB Local \S+ on (http:\S+),", line):
            endpoint = match[1]
        if match := re.match(r"storefront key: (\S+)", line):
            key = match[1]
        if line.startswith("listening on"):
            break
    # drain what it logs from here on (a JSON line per request): a full pipe would stop it
    threading.Thread(target=lambda: proc.stdout and proc.stdout.read(), daemon=True).start()
    return proc, f"http://127.0.0.1:{port}", key, endpoint


def _generate_members(endpoint: str, start: int, stop: int) -> float:
    """Members written straight into the dev table, as the API would store them (member item
    and phone identity), in parallel batches."""
    os.environ.update(
        AWS_ENDPOINT_URL_DYNAMODB=endpoint,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION="us-east-1",
    )
    from chalicelib.domain.members import Member
    from chalicelib.store import keys
    from chalicelib.store.members import member_item
    from chalicelib.store.models import IdentityItem, Item, configure

    configure("loyalty-dev", "us-east-1")
    created = datetime(2026, 1, 1, tzinfo=UTC)
    began = time.perf_counter()

    def chunk(first: int) -> None:
        with Item.batch_write() as batch:
            for n in range(first, min(first + 2_500, stop)):
                member_id = f"mem_{n:026d}"
                member = Member(
                    member_id=member_id, created_at=created, updated_at=created, version=1
                )
                member.identities = [f"phone:{n:064x}"]
                member.dormant_on = f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}"
                batch.save(member_item(member, ZoneInfo("Asia/Shanghai")))
                batch.save(
                    IdentityItem(
                        pk=keys.identity_pk("phone", f"{n:064x}"),
                        sk=keys.IDENTITY_SK,
                        member_id=member_id,
                        kind="phone",
                    )
                )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(chunk, range(start, stop, 2_500)))
    return time.perf_counter() - began


def _load(url: str, key: str, clients: int, phones: count[int]) -> tuple[float, float, float]:
    session_headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def client(_: int) -> list[float]:
        latencies = []
        with requests.Session() as session:
            session.headers.update(session_headers)
            for _ in range(WRITES_PER_CLIENT):
                phone = f"133{next(phones):08d}"
                t0 = time.perf_counter()
                enrolled = session.post(f"{url}/v1/members", json={"phone": phone}, timeout=60)
                latencies.append(time.perf_counter() - t0)
                assert enrolled.status_code == 201, enrolled.text
                member_id = enrolled.json()["member_id"]
                body = {"order_id": "bench-1", "amount": 12_800, "currency": "CNY"}
                t0 = time.perf_counter()
                bought = session.post(
                    f"{url}/v1/members/{member_id}/purchases", json=body, timeout=60
                )
                latencies.append(time.perf_counter() - t0)
                assert bought.status_code == 201, bought.text
        return latencies

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = [x for batch in pool.map(client, range(clients)) for x in batch]
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return (
        statistics.median(latencies) * 1000,
        ordered[int(len(ordered) * 0.95) - 1] * 1000,
        len(latencies) / elapsed,
    )


def main(smoke: bool = False) -> None:
    global SIZES, LEVELS, WRITES_PER_CLIENT
    if smoke:  # every step once, at the smallest size: that it runs, not what it measures
        SIZES, LEVELS, WRITES_PER_CLIENT = (0, 50), (1, 4), 2
    print("\ndev server on DynamoDB Local: writes (enrol, then purchase) over HTTP")
    print(f"{'members':>8} {'clients':>7} {'p50 ms':>7} {'p95 ms':>7} {'writes/s':>9}")
    data_dir = Path(tempfile.mkdtemp(prefix="loyalty-bench-dev-"))
    proc, url, key, endpoint = _start(data_dir)
    phones = count()
    medians: dict[int, float] = {}
    try:
        _load(url, key, 4, phones)  # warm up the engine's JIT and the server: not counted
        have = 0
        for size in SIZES:
            if size > have:
                seconds = _generate_members(endpoint, have, size)
                print(f"  (generated {size - have:,} members in {seconds:.0f} s)")
                have = size
            for clients in LEVELS:
                p50, p95, rate = _load(url, key, clients, phones)
                print(f"{size:>8,} {clients:>7} {p50:>7.1f} {p95:>7.1f} {rate:>9.1f}")
                if clients == 1:
                    medians[size] = p50
        print(
            f"write latency at {SIZES[-1]:,} members vs 0 (median, 1 client): "
            f"{medians[SIZES[-1]] / medians[0]:.2f}×"
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
