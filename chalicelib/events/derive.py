"""Business events, derived from the facts' own stream records (NEW_AND_OLD_IMAGES).

Why not an outbox item per request: every fact an event reports is already written, once, by
the transaction that decided it (a journal item's ledger rows, a new member, a coupon's status,
the member's tier), and the stream carries each of those writes exactly once per change. Reading
events off them costs the hot path nothing (0 WCU), cannot be forgotten by a new use case that
writes a fact, and cannot disagree with the books. A retried request, a replay with another
idempotency key or a re-run job writes no new fact, so it makes no new event; each event's id is
derived from its cause (member + ledger sequence, coupon + order, member + version), so a
redelivered stream record yields the same ids and the consumer publishes each once.

Event data holds ids, amounts, local dates and masked contact data only, never a raw phone,
email or name: the facts themselves hold nothing else.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from ..store.ledger import rows_of
from ..store.models import (
    BooksMismatchItem,
    CouponItem,
    JournalItem,
    MemberItem,
    MergeItem,
    ReminderItem,
    RiskSignalItem,
    WalletEntryItem,
)
from ..store.stream import Change

# Ledger row kind -> event type.
POINTS_EVENTS = {
    "earn": "points.earned",
    "checkin": "points.earned",
    "referral": "points.earned",
    "import": "points.earned",
    "vest": "points.vested",
    "redeem": "points.redeemed",
    "exchange": "points.redeemed",
    "clawback": "points.clawed_back",
    "expire": "points.expired",
    "redeem_return": "points.returned",
    "debt_repayment": "points.debt_repaid",
}

# What a person reads in a notification template: English and Chinese, per type.
SUMMARIES = {
    "member.enrolled": ("Welcome: membership opened", "欢迎入会"),
    "points.earned": ("Points earned", "获得积分"),
    "points.vested": ("Pending points are now spendable", "待生效积分已可用"),
    "points.redeemed": ("Points redeemed", "积分已使用"),
    "points.clawed_back": ("Points taken back for a refund", "退款扣回积分"),
    "points.expired": ("Points expired", "积分已过期"),
    "points.expiring": ("Points expiring soon", "积分即将过期"),
    "points.returned": ("Redeemed points given back", "退回已用积分"),
    "points.debt_repaid": ("Points paid off an earlier refund", "积分抵扣退款欠分"),
    "tier.changed": ("Membership tier changed", "会员等级变更"),
    "member.dormant": ("We miss you", "会员进入沉睡"),
    "member.churned": ("Member churned", "会员已流失"),
    "member.reactivated": ("Welcome back", "会员已唤醒"),
    "coupon.issued": ("A coupon for you", "获得优惠券"),
    "coupon.redeemed": ("Coupon used", "优惠券已使用"),
    "coupon.released": ("Coupon given back", "优惠券已退回"),
    "wallet.topped_up": ("Stored value topped up", "储值充值成功"),
    "wallet.charged": ("Paid with stored value", "储值消费"),
    "wallet.refunded": ("Stored value payment refunded", "储值退款"),
    "wallet.withdrawn": ("Stored value withdrawn", "储值退卡提现"),
    "wallet.bonus_expired": ("Bonus stored value expired", "赠送储值已过期"),
    "wallet.frozen": ("Stored value frozen", "储值账户已冻结"),
    "wallet.unfrozen": ("Stored value unfrozen", "储值账户已解冻"),
    "books.mismatch": ("The books do not reconcile", "账目核对不一致"),
    "risk.signal": ("A risk signal was reached", "触发风控预警"),
    "member.merged": ("Two memberships were merged into one", "会员账户已合并"),
}
# Wallet entry kind -> event type (a merge's entries are told by `member.merged`).
WALLET_EVENTS = {
    "topup": "wallet.topped_up",
    "payment": "wallet.charged",
    "refund": "wallet.refunded",
    "withdrawal": "wallet.withdrawn",
    "bonus_expire": "wallet.bonus_expired",
    "freeze": "wallet.frozen",
    "unfreeze": "wallet.unfrozen",
}
TYPES = tuple(SUMMARIES)


class Derived(dict[str, Any]):
    """An event before it is enveloped: id, type, timestamp, member_id, data."""


def _id(at: datetime, *cause: object) -> str:
    """Time-sortable, and the same for the same cause: `evt_<UTC time>_<hash of the cause>`."""
    digest = hashlib.sha256("|".join(map(str, cause)).encode()).hexdigest()[:20]
    return f"evt_{at.astimezone(UTC):%Y%m%d%H%M%S%f}_{digest}"


def _event(
    kind: str, at: datetime, member_id: str, data: dict[str, Any], *cause: object
) -> Derived:
    english, chinese = SUMMARIES[kind]
    return Derived(
        id=_id(at, kind, *cause),
        type=kind,
        timestamp=at.astimezone(UTC),
        member_id=member_id,
        data={**data, "summary": {"en": english, "zh": chinese}},
    )


def events_of(change: Change) -> list[Derived]:
    """The events one stream record carries (none for most items)."""
    new, old = change.new, change.old
    if isinstance(new, JournalItem) and change.name == "INSERT":
        return _ledger_events(new)
    if isinstance(new, MemberItem):
        return _member_events(old if isinstance(old, MemberItem) else None, new, change)
    if isinstance(new, CouponItem):
        return _coupon_events(old if isinstance(old, CouponItem) else None, new, change)
    if isinstance(new, ReminderItem) and change.name == "INSERT":
        return [_reminder_event(new)]
    if isinstance(new, WalletEntryItem) and change.name == "INSERT":
        return [_wallet_event(new)] if new.kind in WALLET_EVENTS else []
    if isinstance(new, BooksMismatchItem) and change.name == "INSERT":
        return [_mismatch_event(new)]
    if isinstance(new, RiskSignalItem) and change.name == "INSERT":
        return [_risk_event(new)]
    if isinstance(new, MergeItem) and change.name == "INSERT":
        return [_merge_event(new)]
    return []


def _merge_event(item: MergeItem) -> Derived:
    data = {
        "member_id": item.member_id,
        "from_member_id": item.from_member_id,
        "moved": json.loads(item.moved),
        "kept_with_merged_member": list(item.kept or []),
    }
    cause = (item.member_id, item.from_member_id)
    return _event("member.merged", item.merged_at, item.member_id, data, *cause)


def _risk_event(item: RiskSignalItem) -> Derived:
    data = {
        "member_id": item.member_id,
        "signal": item.kind,
        "business_date": item.day,
        "subject": item.subject,
        "threshold": int(item.threshold),
    }
    cause = (item.kind, item.day, item.subject)
    return _event("risk.signal", item.created_at, item.member_id, data, *cause)


def _wallet_event(item: WalletEntryItem) -> Derived:
    data = {
        "member_id": item.member_id,
        "amount": int(item.principal_delta) + int(item.bonus_delta),
        "principal_delta": int(item.principal_delta),
        "bonus_delta": int(item.bonus_delta),
        "principal_after": int(item.principal_after),
        "bonus_after": int(item.bonus_after),
        "balance_after": int(item.principal_after) + int(item.bonus_after),
        "currency": item.currency,
        "reference": item.reference,
        "channel": item.channel,
        "wallet_seq": int(item.seq),
        "reason": item.reason,
    }
    kind = WALLET_EVENTS[item.kind]
    return _event(kind, item.created_at, item.member_id, data, item.member_id, int(item.seq))


def _mismatch_event(item: BooksMismatchItem) -> Derived:
    data = {
        "member_id": item.member_id,
        "business_date": item.business_date,
        "mismatches": json.loads(item.mismatches),
    }
    cause = (item.member_id, item.business_date)
    return _event("books.mismatch", item.created_at, item.member_id, data, *cause)


def _reminder_event(item: ReminderItem) -> Derived:
    member_id = _member_id(item.pk)
    data = {
        "member_id": member_id,
        "points": int(item.points),
        "expires_on": item.expires_on,
        "reminder_days": int(item.days_before),
    }
    cause = (member_id, item.expires_on, int(item.days_before))
    return _event("points.expiring", item.created_at, member_id, data, *cause)


def _member_id(pk: str) -> str:
    return pk.split("#", 1)[1]


def _ledger_events(item: JournalItem) -> list[Derived]:
    member_id = _member_id(item.pk)
    found = []
    for row in rows_of(item):
        kind = POINTS_EVENTS.get(row.kind)
        if kind is None:
            continue
        data = {
            "member_id": member_id,
            "points": row.points,
            "balance_delta": row.balance_delta,
            "pending_delta": row.pending_delta,
            "debt_delta": row.debt_delta,
            "balance_after": row.balance_after,
            "pending_after": row.pending_after,
            "debt_after": row.debt_after,
            "order_id": row.order_id,
            "ledger_seq": row.seq,
            "ledger_kind": row.kind,
            "reason": row.reason,
        }
        found.append(_event(kind, row.created_at, member_id, data, member_id, row.seq))
    return found


def _member_events(old: MemberItem | None, new: MemberItem, change: Change) -> list[Derived]:
    found = []
    if old is None:
        data = {
            "member_id": new.member_id,
            "channel": new.channel,
            "phone": new.phone_masked,
            "email": new.email_masked,
            "marketing_consent": bool(new.marketing_consent),
        }
        found.append(_event("member.enrolled", new.created_at, new.member_id, data, new.member_id))
        return found
    if old.tier != new.tier:
        data = {"member_id": new.member_id, "from_tier": old.tier, "to_tier": new.tier}
        found.append(
            _event("tier.changed", new.updated_at, new.member_id, data, new.member_id, new.version)
        )
    if old.dormant_since is None and new.dormant_since is not None:
        data = {
            "member_id": new.member_id,
            "dormant_since": new.dormant_since,
            "last_active_at": new.last_active_at,
        }
        cause = (new.member_id, new.dormant_since)
        found.append(_event("member.dormant", new.updated_at, new.member_id, data, *cause))
    if old.churned_since is None and new.churned_since is not None:
        data = {
            "member_id": new.member_id,
            "churned_since": new.churned_since,
            "last_active_at": new.last_active_at,
        }
        cause = (new.member_id, new.churned_since)
        found.append(_event("member.churned", new.updated_at, new.member_id, data, *cause))
    if old.dormant_since is not None and new.dormant_since is None:
        data = {
            "member_id": new.member_id,
            "dormant_since": old.dormant_since,
            "churned_since": old.churned_since,
        }
        cause = (new.member_id, old.dormant_since, new.version)
        found.append(_event("member.reactivated", new.updated_at, new.member_id, data, *cause))
    return found


def _coupon_events(old: CouponItem | None, new: CouponItem, change: Change) -> list[Derived]:
    member_id = _member_id(new.pk)
    data = {
        "member_id": member_id,
        "code": new.code,
        "template_id": new.template_id,
        "source": new.source,
        "valid_until": new.valid_until,
    }
    if old is None:
        if new.merged_from is not None:  # moved by a merge: member.merged says so
            return []
        return [_event("coupon.issued", new.issued_at, member_id, data, new.code)]
    if old.status != "redeemed" and new.status == "redeemed":
        at = new.redeemed_at or change.at
        data["order_id"] = new.order_id
        return [_event("coupon.redeemed", at, member_id, data, new.code, new.order_id)]
    if old.status == "redeemed" and new.status != "redeemed":
        data["order_id"] = new.released_order_id
        at = new.released_at or change.at  # a coupon released before its time was kept
        return [_event("coupon.released", at, member_id, data, new.code, new.released_order_id)]
    return []
