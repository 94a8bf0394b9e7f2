"""Run by `test_generated_client.py` in the generator's own venv (where the generated client's
dependencies, httpx and attrs, are), beside the client it generated:
`python generated_client_walk.py URL KEY`; prints what the calls answered, as JSON. The docs'
storefront page shows the part between the markers."""

import json
import sys

url, key = sys.argv[1:3]
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
print(card.points_pending, card.points_balance)  # 176 0: pending for the return window
# --8<-- [end:client]
again = record_purchase.sync_detailed(
    member.member_id, client=shop, body=order, idempotency_key="pos-1-A-1"
)
print(
    json.dumps(
        {
            "earned": bought.points_earned,
            "status": bought.points_status.value,
            "pending": card.points_pending,
            "balance": card.points_balance,
            "replayed": again.headers.get("Idempotent-Replayed"),
            "replayed_earned": again.parsed.points_earned,
        }
    )
)
