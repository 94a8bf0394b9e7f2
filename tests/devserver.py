"""The local server, started as `make dev` starts it (`loyalty dev`), for the tests that go over
real HTTP (the e2e suite, the dashboard in a browser)."""

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from loyalty_tools.local.engine import free_port
from tests.conftest import ENGINE

LOYALTY = shutil.which("loyalty", path=str(Path(sys.executable).parent)) or "loyalty"


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOYALTY_"))}
        env["PORT"] = str(self.port)
        self.proc = subprocess.Popen(
            [LOYALTY, "dev", "--port", str(self.port), "--data", str(data_dir), "--engine", ENGINE],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,  # its own process group: the test can kill all of it
        )
        self.keys: dict[str, str] = {}
        self.banner = []
        deadline = time.monotonic() + 90
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(
                    "loyalty dev exited before it was ready:\n" + "".join(self.banner)
                )
            self.banner.append(line)
            if match := re.match(r"(storefront|admin) key: (\S+)", line):
                self.keys[match[1]] = match[2]
            if line.startswith("listening on"):
                break
        self.url = f"http://127.0.0.1:{self.port}"
        # Keep reading what it logs (a JSON line per request): a full pipe would stop it.
        self.log: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.append(line)

    def call(self, method: str, path: str, body=None, key: str = "storefront", **kw):
        headers = {"Authorization": f"Bearer {self.keys[key]}", **kw.pop("headers", {})}
        return requests.request(method, self.url + path, json=body, headers=headers, timeout=30)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """kill -9 of the whole server: the Python process and the engine it started."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
