"""A member as the domain sees it: identity facts and point balances, no storage details."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct, field

from .checkin import Streak
from .points import Balances
from .referrals import Referral


class Standing(Struct, frozen=True):
    """What the merchant's figures count of a member (`kpis.marks`), as it was read."""

    merged_into: str | None = None
    merged_from: int = 0
    tier: str | None = None
    active_day: str | None = None
    purchase_day: str | None = None
    prev_purchase_day: str | None = None


class Member(Struct):
    member_id: str
    created_at: datetime
    updated_at: datetime
    version: int = 0
    ledger_seq: int = 0
    balances: Balances = field(default_factory=Balances)
    tier: str | None = None
    phone_masked: str | None = None
    email_masked: str | None = None
    external_id: str | None = None
    identities: list[str] = field(default_factory=list)  # "kind:fingerprint", for linking
    birthday: str | None = None
    marketing_consent: bool = False
    channel: str | None = None
    tier_since: datetime | None = None
    tier_grace_left: int = 0
    tier_review_on: str | None = None  # brand-local ISO day of the next tier review
    growth_total: int = 0
    tier_metrics: dict[str, list[int]] = field(default_factory=dict)
    last_active_at: datetime | None = None
    dormant_on: str | None = None
    dormant_since: str | None = None  # the local day the dormancy job found the member idle
    churned_since: str | None = None  # the local day the dormancy job found it churned
    next_due_at: datetime | None = None  # when the soonest lot vests or expires
    # the profile (personal data: kept, never logged)
    name: str | None = None
    gender: str | None = None
    locale: str | None = None
    tags: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    consent_at: datetime | None = None  # when marketing_consent was last given or withdrawn
    consent_channel: str | None = None  # and through which channel
    streak: Streak = field(default_factory=Streak)  # 签到
    referral_code: str | None = None  # the member's own, to share
    referral: Referral | None = None  # who referred the member, and what came of it
    device: str | None = None  # keyed fingerprint of the device_id it enrolled with
    network: str | None = None  # the IPv4 /24 or IPv6 /48 it enrolled from (risk signals)
    # a merge (合并): the member merged into another answers `member_merged` from then on; the
    # survivor lists whom it took in; `merge_step` is where an unfinished merge goes on
    merged_into: str | None = None
    merged_from: list[str] = field(default_factory=list)
    merge_step: str | None = None
    merge_moved: dict[str, int] = field(
        default_factory=dict
    )  # what the merge moved so far, by name
    # brand-local ISO days, for the merchant's figures (`kpis`) and RFM: the last purchase or
    # activity, the last purchase, and the purchase before it (on an earlier day)
    active_day: str | None = None
    purchase_day: str | None = None
    prev_purchase_day: str | None = None
    rfm_weeks: dict[str, list[int]] = field(default_factory=dict)  # week -> [orders, amount]

    def standing(self) -> Standing:
        return Standing(
            self.merged_into,
            len(self.merged_from),
            self.tier,
            self.active_day,
            self.purchase_day,
            self.prev_purchase_day,
        )

    def kinds_held(self) -> set[str]:
        """The identity kinds the member has: one of each at most (phone, email, ...)."""
        return {identity.split(":", 1)[0] for identity in self.identities}

    def bump(self, now: datetime) -> int:
        """Mark a change: the next version, as of `now`. Returns the version it changed from,
        which the write's condition expects to find (optimistic locking)."""
        expected = self.version
        self.version = expected + 1
        self.updated_at = now
        return expected
