"""Every route of the API, each called as a storefront or merchant would, with a person's
phone, email and name in every field that can hold them. Used where a test must see what the
whole API does: the calls each function makes (least privilege), the lines it logs (no PII)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.api.http import ROUTES


@dataclass(frozen=True)
class Person:
    phone: str = "13912345678"
    email: str = "wang.xiaoming@example.com"
    name: str = "王小明 Wang Xiaoming"


@dataclass
class Tour:
    api: Any
    person: Person
    visited: set[tuple[str, str]] = field(default_factory=set)

    def call(self, method: str, template: str, ok: bool = True, **kw: Any) -> Any:
        """Call `template` filled with kw["values"]; assert a success unless ok=False."""
        values = kw.pop("values", {})
        response = self.api.call(method, template.format(**values), kw.pop("body", None), **kw)
        self.visited.add((method, template))
        assert response.status_code < 500, (method, template, response.body)
        if ok:
            assert response.status_code < 400, (method, template, response.body)
        return response.json_body if response.body[:1] in (b"{", b"[") else response.body

    def missing(self) -> set[tuple[str, str]]:
        return {(r.method, r.path) for r in ROUTES} - self.visited


M = "/v1/members/{member_id}"
T = "/v1/admin/coupon-templates"
W = "/v1/admin/webhooks/{webhook_id}"


def drive(api: Any, person: Person, receiver_url: str, between: Callable[[], None]) -> Tour:
    """Every route, in an order where each finds what it needs; `between` runs once events
    and a webhook exist, before the deliveries are read (the stream consumer and the sender)."""
    tour = Tour(api, person)
    admin = {"key": "admin"}
    program = tour.call("GET", "/v1/admin/program", **admin)
    program["growth"]["activities"] = {"review": 10}
    program["checkin"] = {"enabled": True, "points": 5}
    program["return_window_days"] = 0  # the points of a purchase spendable at once
    tour.call("PUT", "/v1/admin/program", body=program, **admin)

    hook = tour.call(
        "POST",
        "/v1/admin/webhooks",
        body={"url": receiver_url, "events": ["*"], "description": person.name},
        **admin,
    )
    ids = {"webhook_id": hook["webhook_id"]}
    tour.call("GET", "/v1/admin/webhooks", **admin)
    tour.call("GET", W, values=ids, **admin)
    tour.call(
        "PATCH", W, values=ids, body={"description": f"{person.name} {person.email}"}, **admin
    )

    # a birthday the nightly birthdays job meets (a day or so ahead, in the brand's zone)
    soon = datetime.now(ZoneInfo(program["time_zone"])) + timedelta(hours=25)
    enrolled = {
        "phone": person.phone,
        "email": person.email,
        "marketing_consent": True,
        "birthday": soon.strftime("1992-%m-%d"),  # a leap year: any day exists
        "name": person.name,
        "gender": "male",
        "locale": "zh-CN",
        "attributes": {"wechat_nick": person.name, "contact": person.email},
    }
    member_id = tour.call("POST", "/v1/members", body=enrolled)["member_id"]
    tour.call("POST", "/v1/members", body={"phone": person.phone})  # found again: 200
    tour.call("POST", "/v1/members", ok=False, body={"phone": person.phone, "nick": person.name})
    tour.call("POST", "/v1/members", ok=False, body={"phone": person.phone, "name": "x" * 101})
    tour.call("POST", "/v1/members", ok=False, body={"phone": f"{person.phone}{person.phone}"})
    tour.call("POST", "/v1/members", ok=False, body={"email": f"{person.name}@"})
    tour.call("POST", "/v1/members/lookup", body={"email": person.email})
    tour.call("POST", "/v1/members/lookup", ok=False, body={"phone": "13900000000"})
    at = {"values": {"member_id": member_id}}
    tour.call("GET", M, **at)
    patch = {"name": f"{person.name} Jr", "attributes": {"contact": None, "phone2": person.phone}}
    tour.call("PATCH", M, body=patch, **at)
    tour.call("PATCH", M, ok=False, body={"tags": [person.name]}, **at)  # admin only
    tour.call("PATCH", M, body={"tags": ["vip", person.name[:3]]}, **at, **admin)
    tour.call("PATCH", M, ok=False, body={"points_balance": 10**6, "name": person.name}, **at)
    linked = {"kind": "external_id", "value": f"wx-{person.phone}"}
    tour.call("POST", f"{M}/identities", body=linked, **at)
    tour.call("POST", f"{M}/identities", ok=False, body={"kind": "phone", "value": "1"}, **at)
    gone = {"values": {"member_id": member_id, "kind": "external_id"}}
    tour.call("DELETE", f"{M}/identities/{{kind}}", **gone)

    basket = {"amount": 80_000, "currency": "CNY"}
    tour.call("POST", f"{M}/quote", body=basket, **at)
    bought = tour.call("POST", f"{M}/purchases", body={"order_id": "o-1", **basket}, **at)
    tour.call("POST", f"{M}/redemptions", body={"order_id": "o-2", "points": 100}, **at)
    tour.call("POST", f"{M}/refunds", body={"order_id": "o-1", "amount": 1_000}, **at)
    tour.call("GET", f"{M}/ledger", **at)
    tour.call("POST", f"{M}/activities", body={"activity": "review", "activity_id": "r-1"}, **at)
    tour.call("POST", f"{M}/check-ins", body={}, **at)
    tour.call("GET", f"{M}/check-ins", **at)
    tour.call("GET", f"{M}/referrals", **at)
    tour.call("GET", "/v1/admin/risk/signals", **admin)
    # the same person enrolled again through another channel, then merged into the first
    twin = {
        "openid": "oTour-" + person.phone,
        "name": person.name,
        "attributes": {"n": person.email},
    }
    twin_id = tour.call("POST", "/v1/members", body=twin)["member_id"]
    tour.call(
        "POST",
        f"{M}/purchases",
        body={"order_id": "t-1", "amount": 500, "currency": "CNY"},
        values={"member_id": twin_id},
    )
    merge = "/v1/admin/members/{member_id}/merge"
    tour.call("POST", merge, body={"from_member_id": twin_id}, **at, **admin)
    tour.call("GET", M, ok=False, values={"member_id": twin_id})  # member_merged

    tour.call("GET", f"{M}/coupons", **at)
    code = bought["coupons_issued"][0]["code"]
    coupon = {"values": {"member_id": member_id, "code": code}}
    order = {"order_id": "o-3", "amount": 12_000, "currency": "CNY"}
    tour.call("POST", f"{M}/coupons/{{code}}/redeem", body=order, **coupon)
    tour.call("POST", f"{M}/coupons/{{code}}/release", body={"order_id": "o-3"}, **coupon)
    tour.call(
        "POST",
        f"{M}/coupons/{{code}}/redeem",
        ok=False,
        body={"order_id": "o-3"},
        **{"values": {"member_id": member_id, "code": "NOPE-NOPE"}},
    )
    exchange = {"template_id": "tea-voucher", "exchange_id": "x-1"}
    tour.call("POST", f"{M}/coupons/exchange", body=exchange, **at)
    made = {
        "template_id": "vip-gift",
        "name": f"{person.name} gift",
        "kind": "fixed",
        "amount_off": 500,
    }
    tour.call("POST", T, body=made, **admin)
    tour.call("GET", T, **admin)
    one = {"values": {"template_id": "vip-gift"}, **admin}
    tour.call("GET", f"{T}/{{template_id}}", **one)
    tour.call("PUT", f"{T}/{{template_id}}", body={**made, "total_stock": 100}, **one)
    tour.call("POST", f"{T}/{{template_id}}/issue", body={"member_id": member_id}, **one)
    flash = {**made, "template_id": "flash", "total_stock": 10, "claimable": True}
    tour.call("POST", T, body=flash, **admin)
    claim = {"template_id": "flash"}
    tour.call("POST", f"{M}/coupon-claims", body=claim, **at, headers={"Idempotency-Key": "c-1"})

    wallet = f"{M}/wallet"
    tour.call("POST", f"{wallet}/topups", body={"payment_id": "p-1", "amount": 50_000}, **at)
    tour.call("POST", f"{wallet}/payments", body={"order_id": "o-4", "amount": 1_000}, **at)
    tour.call("POST", f"{wallet}/refunds", body={"order_id": "o-4", "amount": 500}, **at)
    tour.call("POST", f"{wallet}/withdrawals", body={"payment_id": "p-1", "amount": 100}, **at)
    frozen = {"values": {"member_id": member_id}, "body": {"reason": person.name}, **admin}
    tour.call("POST", "/v1/admin/members/{member_id}/wallet/freeze", **frozen)
    tour.call("POST", "/v1/admin/members/{member_id}/wallet/unfreeze", **frozen)
    tour.call("GET", wallet, **at)
    tour.call("GET", f"{wallet}/entries", **at)

    between()
    events = tour.call("GET", "/v1/admin/events", **admin)["events"]
    tour.call("GET", "/v1/admin/events/{event_id}", values={"event_id": events[0]["id"]}, **admin)
    deliveries = tour.call("GET", f"{W}/deliveries", values=ids, **admin)["deliveries"]
    redeliver = {**ids, "delivery_id": deliveries[0]["delivery_id"]}
    tour.call("POST", f"{W}/deliveries/{{delivery_id}}/redeliver", values=redeliver, **admin)
    tour.call("POST", f"{W}/rotate-secret", values=ids, **admin)
    tour.call("POST", f"{W}/disable", values=ids, **admin)
    tour.call("DELETE", W, values=ids, **admin)

    run = tour.call("POST", "/v1/admin/jobs/{job}", values={"job": "all"}, body={}, **admin)
    tour.call("GET", "/v1/admin/jobs", **admin)
    first = run["runs"][0]
    found = {"job": first["job"], "run_id": first["run_id"]}
    tour.call("GET", "/v1/admin/jobs/{job}/runs/{run_id}", values=found, **admin)
    tour.call("GET", "/v1/admin/reconciliation", **admin)
    tour.call("GET", "/v1/admin/liability", **admin)
    today = tour.call("GET", "/v1/admin/kpis", **admin)["last_day"]
    sales = {"day": today, "orders": 40, "amount": 1_200_000, "currency": "CNY"}
    tour.call("POST", "/v1/admin/sales-totals", body=sales, **admin)

    rfm = {"values": {"job": "rfm"}, "body": {"dry_run": False}, **admin}
    tour.call("POST", "/v1/admin/jobs/{job}", **rfm)
    tour.call("GET", "/v1/admin/rfm", **admin)
    tour.call("GET", "/v1/admin/members/{member_id}/rfm", **at, **admin)
    segment = {"segment_id": "tour", "name": person.name, "rules": {"r_min": 1}}
    tour.call("POST", "/v1/admin/segments", body=segment, **admin)
    tour.call("GET", "/v1/admin/segments", **admin)
    mine = {"values": {"segment_id": "tour"}, **admin}
    tour.call("GET", "/v1/admin/segments/{segment_id}", **mine)
    tour.call("PUT", "/v1/admin/segments/{segment_id}", body={**segment, "version": 1}, **mine)
    tour.call("GET", "/v1/admin/segments/{segment_id}/count", **mine)
    tour.call("POST", "/v1/admin/segments/count", body={"rules": {"tags_any": ["vip"]}}, **admin)
    campaign = {"campaign_id": "tour", "template_id": "vip-gift"}
    tour.call("POST", "/v1/admin/segments/{segment_id}/issues", body=campaign, **mine)
    run = {"values": {"segment_id": "tour", "campaign_id": "tour"}, **admin}
    tour.call("GET", "/v1/admin/segments/{segment_id}/issues/{campaign_id}", **run)
    for kind in ("members", "ledger", "coupons"):
        tour.call("GET", "/v1/admin/exports/{kind}", values={"kind": kind}, **admin)
    tour.call("DELETE", "/v1/admin/segments/{segment_id}", **mine)
    opening = {"points": 10, "source": person.name}
    tour.call("POST", "/v1/admin/members/{member_id}/opening-balance", body=opening, **at, **admin)
    return tour
