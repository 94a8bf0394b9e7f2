import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.services import api_keys

PROJECT = str(Path(__file__).resolve().parents[2])


class Api:
    """The Chalice test client with JSON and keys filled in. After each call the table's stream
    is handed to the stream consumer (`pump`), as Lambda's poller does a second or so after the
    writes, so what the consumer keeps (the figures, the events) is there for the next call."""

    def __init__(self, client: Client, storefront: str, admin: str, pump: Any = None) -> None:
        self.client = client
        self.storefront = storefront
        self.admin = admin
        self.pump = pump

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = "storefront",
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Any:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if key is not None:
            sent["Authorization"] = f"Bearer {getattr(self, key, key)}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        response = self.client.http.request(method, path, headers=sent, body=data)
        if self.pump is not None:
            self.pump()
        return response

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, body, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("PUT", path, body, **kw)

    def buy(self, member_id: str, order_id: str, amount: int) -> Any:
        body = {"order_id": order_id, "amount": amount, "currency": "CNY"}
        response = self.post(f"/v1/members/{member_id}/purchases", body)
        assert response.status_code == 201, response.json_body
        return response.json_body

    def enroll(self, **body: Any) -> str:
        response = self.post("/v1/members", body or {"phone": "13800138000"})
        assert response.status_code in (200, 201), response.json_body
        return response.json_body["member_id"]


@pytest.fixture
def api(brand, pump) -> Iterator[Api]:
    storefront, _ = api_keys.create(brand, "storefront")
    admin, _ = api_keys.create(brand, "admin")
    with Client(app, stage_name="dev", project_dir=PROJECT) as client:
        yield Api(client, storefront, admin, pump)
