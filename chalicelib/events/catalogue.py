"""The event catalogue: one pydantic model of `data` per event type, and the AsyncAPI 3.0
document built from them (served at `/v1/events/asyncapi.json`), so a brand's tools read the
catalogue instead of our prose, and a test checks every event the code emits against it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..contract.events import EventOut
from .derive import POINTS_EVENTS, SUMMARIES, WALLET_EVENTS


class Summary(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    en: str
    zh: str


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    member_id: str
    summary: Summary = Field(description="what a person reads, in English and Chinese")


class MemberEnrolledData(EventData):
    channel: str | None
    phone: str | None = Field(description="masked, e.g. +86 138****8000")
    email: str | None = Field(description="masked")
    marketing_consent: bool


class PointsData(EventData):
    points: int = Field(description="change of balance + pending - debt")
    balance_delta: int
    pending_delta: int
    debt_delta: int
    balance_after: int
    pending_after: int
    debt_after: int
    order_id: str | None
    ledger_seq: int = Field(description="the ledger row this event reports")
    ledger_kind: str
    reason: str


class ExpiringData(EventData):
    """Sent by the nightly reminders, on each of the program's `expiry.reminder_days` before."""

    points: int = Field(description="what will really expire: what is left unspent that day")
    expires_on: str = Field(
        description="the last brand-local day the points can be spent (gone at its end)"
    )
    reminder_days: int = Field(description="how many days before that day this reminder is")


class TierChangedData(EventData):
    from_tier: str | None
    to_tier: str | None


class DormantData(EventData):
    dormant_since: str = Field(description="the brand-local day the member was found idle")
    last_active_at: datetime | None


class ChurnedData(EventData):
    churned_since: str = Field(description="the brand-local day the member was found churned")
    last_active_at: datetime | None


class ReactivatedData(EventData):
    dormant_since: str = Field(description="the brand-local day the member had turned dormant")
    churned_since: str | None = Field(None, description="and churned, if it had")


class CouponData(EventData):
    code: str
    template_id: str
    source: str
    valid_until: datetime
    order_id: str | None = None


class WalletData(EventData):
    """A change of the member's stored value (储值), in minor units of `currency`."""

    amount: int = Field(description="change of the balance (principal + bonus)")
    principal_delta: int
    bonus_delta: int
    principal_after: int
    bonus_after: int
    balance_after: int
    currency: str
    reference: str | None = Field(description="the payment id (top-ups, withdrawals) or order id")
    channel: str | None
    wallet_seq: int = Field(description="the wallet entry this event reports")
    reason: str


class MismatchData(EventData):
    """The nightly reconciliation found a member's books not adding up."""

    business_date: str
    mismatches: list[dict[str, Any]] = Field(
        description="each {check, expected, actual, detail}, e.g. points.ledger_adds_up"
    )


class RiskSignalData(EventData):
    """A velocity signal (风控) reached its threshold for the day: not blocking, for a person to
    look at (`GET /v1/admin/risk/signals`). `member_id` is the member whose write reached it."""

    signal: Literal[
        "enrollments_per_device",
        "enrollments_per_ip_range",
        "redemptions_per_member",
        "refunds_after_redeem_per_member",
    ]
    business_date: str = Field(description="the brand-local day counted")
    subject: str = Field(description="a member id, device:<fingerprint prefix> or ip:<range>")
    threshold: int


class MemberMergedData(EventData):
    """Another member (`from_member_id`) was merged into this one (合并): its identities, points,
    stored value, coupons and orders are this member's now, and it answers `member_merged`."""

    from_member_id: str
    moved: dict[str, int] = Field(
        description="identities, lots, points, pending, debt, lifetime_points, growth, "
        "wallet_principal, wallet_bonus, records"
    )
    kept_with_merged_member: list[str] = Field(
        description="records left with the merged member (the same key at both)"
    )


DATA: dict[str, type[EventData]] = {
    "member.enrolled": MemberEnrolledData,
    "tier.changed": TierChangedData,
    "points.expiring": ExpiringData,
    "member.dormant": DormantData,
    "member.churned": ChurnedData,
    "member.reactivated": ReactivatedData,
    **{kind: PointsData for kind in POINTS_EVENTS.values()},
    **{kind: CouponData for kind in ("coupon.issued", "coupon.redeemed", "coupon.released")},
    **{kind: WalletData for kind in WALLET_EVENTS.values()},
    "books.mismatch": MismatchData,
    "risk.signal": RiskSignalData,
    "member.merged": MemberMergedData,
}
assert set(DATA) == set(SUMMARIES), "every event type has a data model"


def validate(event: EventOut) -> EventData:
    """The event's data as its type's model (raises when the code emitted something else)."""
    return DATA[event.type].model_validate(event.data)


def _message_name(kind: str) -> str:
    return kind.replace(".", "_")


def document(brand: str) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    envelope = EventOut.model_json_schema(ref_template="#/components/schemas/{model}")
    envelope.pop("$defs", None)
    for kind, model in DATA.items():
        data = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas |= data.pop("$defs", {})
        schemas[model.__name__] = data
        payload = {
            **envelope,
            "title": f"{kind} event",
            "properties": {
                **envelope["properties"],
                "type": {"const": kind},
                "data": {"$ref": f"#/components/schemas/{model.__name__}"},
            },
        }
        english, chinese = SUMMARIES[kind]
        messages[_message_name(kind)] = {
            "name": kind,
            "title": f"{english} / {chinese}",
            "contentType": "application/json",
            "payload": payload,
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"Loyalty engine events ({brand})",
            "version": "1",
            "description": "Every business fact, once per cause. On EventBridge: source "
            f"`loyalty.{brand}`, detail-type = the event type, detail = the envelope. Pulled: "
            "GET /v1/admin/events (30 days).",
        },
        "channels": {
            "events": {
                "address": f"loyalty.{brand}",
                "description": "The brand's EventBridge bus",
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
            }
        },
        "operations": {
            "publishEvents": {
                "action": "send",
                "channel": {"$ref": "#/channels/events"},
                "messages": [{"$ref": f"#/channels/events/messages/{name}"} for name in messages],
            }
        },
        "components": {"schemas": schemas, "messages": messages},
    }
