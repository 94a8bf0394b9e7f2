"""Members: enrolment, profile, identities, look-up, and the member as storefronts see it."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import (
    Field,
    IPvAnyAddress,
    model_validator,
)

from ..domain import tiers
from ..domain.bounds import Birthday
from ..domain.members import Member
from ..domain.membership import Reached, lifecycle_state
from ..domain.outcomes import Enrolled, MemberNow
from ..domain.profile import Attributes, AttributesPatch, Gender, Locale, Name, Tags
from ..domain.program import Program
from .common import OPENID, OpenId, Request, Response
from .coupons import CouponOut, SkippedCouponOut, coupon_out, skipped_out


class EnrollRequest(Request):
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)
    external_id: str | None = Field(None, min_length=1, max_length=128)
    openid: OpenId | None = None
    device_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="the storefront's device fingerprint: for risk signals and referrals, kept "
        "as a keyed fingerprint only",
    )
    referred_by: str | None = Field(
        None, min_length=1, max_length=16, description="a member's referral code (any case)"
    )
    client_ip: IPvAnyAddress | None = Field(
        None,
        description="the member's IP address as the storefront saw it (not the storefront's "
        "own): counted by network for risk signals, not stored",
    )
    birthday: Birthday | None = None
    marketing_consent: bool = False
    channel: str | None = Field(None, max_length=32, description="web, pos, miniprogram, ...")
    name: Name | None = Field(None, description="as the member gives it (personal data)")
    gender: Gender | None = None
    locale: Locale | None = None
    tags: Tags | None = Field(None, description="the merchant's labels: admin keys only")
    attributes: Attributes | None = None

    @model_validator(mode="after")
    def _some_identifier(self) -> "EnrollRequest":
        if not (self.phone or self.email or self.external_id or self.openid):
            raise ValueError("give at least one of phone, email, external_id or openid")
        return self


class ProfilePatch(Request):
    """Only what is sent changes (JSON Merge Patch, RFC 7396): a field set to null is cleared,
    an attribute set to null removed. Points, tiers and balances are never set here."""

    name: Name | None = None
    gender: Gender | None = None
    birthday: Birthday | None = Field(
        None, description="once set, changed only with an admin key (birthday gifts)"
    )
    locale: Locale | None = None
    tags: Tags | None = Field(None, description="replaces the tags: admin keys only")
    attributes: AttributesPatch | None = None
    marketing_consent: bool | None = Field(None, description="given (true) or withdrawn (false)")
    channel: str | None = Field(
        None, max_length=32, description="the channel this change comes through"
    )


class IdentityAdd(Request):
    kind: Literal["phone", "email", "external_id", "openid"]
    value: str = Field(min_length=1, max_length=254)

    @model_validator(mode="after")
    def _openid_shape(self) -> "IdentityAdd":
        if self.kind == "openid" and not OPENID.fullmatch(self.value):
            raise ValueError("an openid is 6 to 128 letters, digits, '_' or '-'")
        return self


class LookupRequest(Request):
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)
    external_id: str | None = Field(None, min_length=1, max_length=128)
    openid: OpenId | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> "LookupRequest":
        given = [v for v in (self.phone, self.email, self.external_id, self.openid) if v]
        if len(given) != 1:
            raise ValueError("give exactly one of phone, email, external_id or openid")
        return self


class TierProgressOut(Response):
    metric: Literal["spend", "orders", "growth"]
    value: int = Field(description="the metric so far in the current window")
    window_start: date
    window_end: date = Field(description="the last local day that counts (the 'by when')")
    next_tier: str | None
    missing: int = Field(description="what is still needed for next_tier by window_end")


class MemberOut(Response):
    member_id: str
    points_balance: int = Field(description="spendable (vested, unexpired) points")
    points_pending: int = Field(description="earned, vesting when the return window ends")
    points_debt: int = Field(description="clawed back beyond the balance; paid by later earnings")
    lifetime_points: int
    tier: str | None
    phone: str | None = Field(description="masked")
    email: str | None = Field(description="masked")
    external_id: str | None
    birthday: date | None
    marketing_consent: bool
    channel: str | None
    created_at: datetime
    updated_at: datetime
    growth_total: int = Field(0, description="成长值 earned in all (never expires)")
    tier_since: datetime | None = None
    tier_benefits: dict[str, Any] | None = None
    tier_progress: TierProgressOut | None = None
    last_active_at: datetime | None = Field(None, description="last purchase or activity")
    name: str | None = None
    gender: str | None = None
    locale: str | None = None
    tags: list[str] = Field(default_factory=list)
    attributes: dict[str, str] = Field(default_factory=dict)
    marketing_consent_at: datetime | None = Field(
        None, description="when marketing_consent was last given or withdrawn"
    )
    marketing_consent_channel: str | None = None
    identity_kinds: list[str] = Field(
        default_factory=list, description="which identities the member has: phone, email, ..."
    )
    referral_code: str | None = Field(None, description="the member's own, to share (邀请码)")
    lifecycle_state: Literal["active", "dormant", "churned"] = Field(
        "active",
        description="dormant once lifecycle.dormant_after_days pass without a purchase or "
        "activity, churned once lifecycle.churned_after_days pass",
    )


class ReferralStatusOut(Response):
    status: Literal["waiting", "rewarded", "clawed_back", "refused"] = Field(
        description="waiting: both are rewarded at the friend's first purchase"
    )
    reason: (
        Literal[
            "referrals_off",
            "self_referral",
            "already_member",
            "same_device",
            "ring",
            "device_reused",
        ]
        | None
    ) = None


class EnrollOut(MemberOut):
    """The member; a new one also says which rule coupons it got (or not, and why)."""

    coupons_issued: list[CouponOut] = Field(default_factory=list)
    coupons_skipped: list[SkippedCouponOut] = Field(default_factory=list)
    referral: ReferralStatusOut | None = Field(
        None, description="what came of referred_by (the enrolment never fails for it)"
    )


class TierChangeOut(Response):
    from_tier: str | None
    to_tier: str | None


# -- presenters --------------------------------------------------------------------------------


def tier_progress(program: Program | None, member: Member, now: datetime) -> TierProgressOut | None:
    if program is None or program.tiers is None:
        return None
    found = tiers.progress(
        program.tiers, member.tier, member.tier_metrics, now.astimezone(program.zone).date()
    )
    return TierProgressOut(
        metric=found.metric,
        value=found.value,
        window_start=found.window_start,
        window_end=found.window_end,
        next_tier=found.next_tier,
        missing=found.missing,
    )


def tier_benefits(program: Program | None, member: Member) -> dict[str, object] | None:
    tier = program.tiers.tier(member.tier) if program and program.tiers else None
    return tier.benefits.model_dump(mode="json") if tier else None


def member_out(seen: MemberNow) -> MemberOut:
    """The member as storefronts see it, with tier benefits and progress as of `seen.now`."""
    member, program, now = seen.member, seen.program, seen.now
    b = member.balances
    return MemberOut(
        member_id=member.member_id,
        points_balance=b.balance,
        points_pending=b.pending,
        points_debt=b.debt,
        lifetime_points=b.lifetime,
        tier=member.tier,
        phone=member.phone_masked,
        email=member.email_masked,
        external_id=member.external_id,
        birthday=member.birthday,  # ISO string, validated on input
        marketing_consent=member.marketing_consent,
        channel=member.channel,
        created_at=member.created_at,
        updated_at=member.updated_at,
        growth_total=member.growth_total,
        tier_since=member.tier_since,
        tier_benefits=tier_benefits(program, member),
        tier_progress=tier_progress(program, member, now),
        last_active_at=member.last_active_at,
        name=member.name,
        gender=member.gender,
        locale=member.locale,
        tags=member.tags,
        attributes=member.attributes,
        marketing_consent_at=member.consent_at,
        marketing_consent_channel=member.consent_channel,
        identity_kinds=sorted(i.split(":", 1)[0] for i in member.identities),
        referral_code=member.referral_code,
        lifecycle_state=lifecycle_state(program, member, now),
    )


def tier_change_out(reached: Reached) -> TierChangeOut | None:
    change = reached.change
    return TierChangeOut(from_tier=change.from_tier, to_tier=change.to_tier) if change else None


def enroll_out(enrolled: Enrolled) -> EnrollOut:
    now = enrolled.seen.now
    referral = enrolled.referral
    return EnrollOut(
        **member_out(enrolled.seen).model_dump(),
        coupons_issued=[coupon_out(coupon, now) for coupon in enrolled.issued],
        coupons_skipped=skipped_out(enrolled.skipped),
        referral=ReferralStatusOut(status=referral.status, reason=referral.reason)
        if referral
        else None,
    )
