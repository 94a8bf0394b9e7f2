"""A client generated from the served OpenAPI document (openapi-python-client, as a brand's
engineers would generate theirs) enrols a member, records a purchase and reads the member back
over HTTP from the local server: the operation ids name its functions (`enroll_member`,
`record_purchase`, `get_member`). The docs' storefront page shows this same code."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.devserver import Server
from tests.e2e.test_local_server import pytestmark as e2e  # the same markers and skips

pytestmark = e2e
# `make test` installs the generator in a venv of its own (its typer pin is older than our CLI's)
TOOL = Path(__file__).resolve().parents[2] / ".cache/openapi-python-client/bin"
if not (TOOL / "openapi-python-client").exists():
    pytest.skip("make test installs openapi-python-client into .cache/", allow_module_level=True)


def test_a_generated_client_enrolls_buys_and_reads_a_member(tmp_path):
    server = Server(tmp_path / "data")
    try:
        document = tmp_path / "openapi.json"
        document.write_text(requests.get(server.url + "/v1/openapi.json", timeout=10).text)
        generate = [TOOL / "openapi-python-client", "generate", "--meta", "none"]
        generated = subprocess.run(
            [*generate, "--path", document, "--output-path", tmp_path / "loyalty_client"],
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": f"{TOOL}:{os.environ['PATH']}"},  # it formats with ruff
        )
        assert generated.returncode == 0 and "Warning" not in generated.stdout, generated.stdout
        sys.path.insert(0, str(tmp_path))
        try:
            _walk(server.url, server.keys["storefront"])
        finally:
            sys.path.remove(str(tmp_path))
            for name in [m for m in sys.modules if m.startswith("loyalty_client")]:
                del sys.modules[name]
    finally:
        server.stop()


def _walk(url: str, key: str) -> None:
    # --8<-- [start:client]
    from loyalty_client import AuthenticatedClient
    from loyalty_client.api.storefront import enroll_member, get_member, record_purchase
    from loyalty_client.models import EnrollRequest, ItemIn, PurchaseRequest

    shop = AuthenticatedClient(base_url=url, token=key)
    member = enroll_member.sync(client=shop, body=EnrollRequest(phone="13800138000"))
    order = PurchaseRequest(
        order_id="A-1",
        amount=8800,
        currency="CNY",
        items=[ItemIn(sku="LONGJING", category="tea", amount=8800)],
    )
    bought = record_purchase.sync(
        member.member_id, client=shop, body=order, idempotency_key="pos-1-A-1"
    )
    print(bought.points_earned, bought.points_status)  # 176 pending
    card = get_member.sync(member.member_id, client=shop)
    print(card.points_pending, card.tier)  # 176 bronze
    # --8<-- [end:client]
    assert (bought.points_earned, bought.points_status.value) == (176, "pending")
    assert (card.points_pending, card.points_balance) == (176, 0)
    again = record_purchase.sync_detailed(
        member.member_id, client=shop, body=order, idempotency_key="pos-1-A-1"
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.parsed.points_earned == 176
