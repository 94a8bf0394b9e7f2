"""The business rules a transaction's write conditions enforce, by name.

The store writes each item under a `Guard` (a rule, and the item it is about: a template id, a
coupon code, a lot id); when DynamoDB cancels the transaction, the guards whose conditions failed
come back in `WriteRejected`, so the service can say which rule broke. One enum for store and
services: a misspelt rule is a type error, not a silent retry.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from msgspec import Struct


class Rule(StrEnum):
    MEMBER_IS_NEW = "member_is_new"
    MEMBER_VERSION = "member_version"
    IDENTITY_IS_NEW = "identity_is_new"
    IDENTITY_IS_MEMBERS = "identity_is_members"
    LOT_IS_NEW = "lot_is_new"
    LOT_AS_READ = "lot_as_read"
    LEDGER_ROW_IS_NEW = "ledger_row_is_new"
    ORDER_IS_NEW = "order_is_new"
    ORDER_REFUNDED_AS_READ = "order_refunded_as_read"
    REDEMPTION_IS_NEW = "redemption_is_new"
    REDEMPTION_EXISTS = "redemption_exists"
    IDEMPOTENCY_KEY_IS_NEW = "idempotency_key_is_new"
    ONCE_IS_NEW = "once_is_new"
    PROGRAM_VERSION = "program_version"
    PROGRAM_VERSION_IS_NEW = "program_version_is_new"
    TEMPLATE_IS_NEW = "template_is_new"
    TEMPLATE_VERSION = "template_version"
    SEGMENT_IS_NEW = "segment_is_new"
    SEGMENT_VERSION = "segment_version"
    CAMPAIGN_VERSION = "campaign_version"
    SHARED_CODE_IS_NEW = "shared_code_is_new"
    COUPON_IS_NEW = "coupon_is_new"
    COUPON_STOCK = "coupon_stock"
    COUPON_LIMIT = "coupon_limit"
    COUPON_STATE = "coupon_state"
    ORDER_COUPONS_AS_READ = "order_coupons_as_read"
    WEBHOOK_IS_NEW = "webhook_is_new"
    WEBHOOK_VERSION = "webhook_version"
    DELIVERY_ROUND = "delivery_round"
    TOTALS = "totals"
    AGGREGATE_POSITION = "aggregate_position"
    WALLET_IS_NEW = "wallet_is_new"
    WALLET_VERSION = "wallet_version"
    WALLET_ENTRY_IS_NEW = "wallet_entry_is_new"
    TOPUP_IS_NEW = "topup_is_new"
    TOPUP_VERSION = "topup_version"
    WALLET_PAYMENT_IS_NEW = "wallet_payment_is_new"
    WALLET_PAYMENT_VERSION = "wallet_payment_version"
    CHECKIN_IS_NEW = "checkin_is_new"
    DAILY_LIMIT = "daily_limit"
    RISK_COUNT = "risk_count"
    REFERRAL_CODE_IS_NEW = "referral_code_is_new"
    REFERRAL_DEVICE_IS_NEW = "referral_device_is_new"
    REFERRAL_MONTHLY_LIMIT = "referral_monthly_limit"
    REFERRED = "referred"
    MERGE_MOVED = "merge_moved"
    MERGE_IS_NEW = "merge_is_new"


class Guard(Struct, frozen=True):
    rule: Rule
    subject: str = ""

    def __str__(self) -> str:
        return f"{self.rule}:{self.subject}" if self.subject else str(self.rule)


class WriteRejected(Exception):
    """The transaction was cancelled: nothing of it was written. `failed` holds the guards whose
    conditions did not hold; `conflict` says another transaction touched the same items at the
    same moment (safe to retry as it is)."""

    def __init__(self, failed: Iterable[Guard], conflict: bool) -> None:
        self.failed = frozenset(failed)
        self.conflict = conflict
        names = sorted(str(g) for g in self.failed)
        super().__init__(f"transaction cancelled: failed={names} conflict={conflict}")

    def broke(self, rule: Rule) -> bool:
        return any(guard.rule is rule for guard in self.failed)

    def subjects(self, rule: Rule) -> set[str]:
        """Which items of that rule failed (template ids for stock, codes for coupons)."""
        return {guard.subject for guard in self.failed if guard.rule is rule}
