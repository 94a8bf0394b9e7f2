"""How the use cases' results are shown: the contract's response models from domain objects."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from ...contract.checkout import EarnLineOut
from ...contract.coupons import CouponOut, SkippedCouponOut, TemplateOut
from ...contract.ledger import LedgerEntryOut, LedgerPage
from ...contract.members import MemberOut
from ...domain.coupons import Coupon
from ...domain.earning import Earning
from ...domain.members import Member
from ...domain.points import LedgerRow
from ...domain.program import Program
from ...store.coupons import TemplateRecord
from . import lifecycle, tiers


def member_out(member: Member, program: Program | None, now: datetime) -> MemberOut:
    """The member as storefronts see it, with tier benefits and progress as of `now`."""
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
        tier_benefits=tiers.benefits(program, member),
        tier_progress=tiers.progress(program, member, now),
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
        lifecycle_state=lifecycle.state(program, member, now),
    )


def coupon_out(coupon: Coupon, now: datetime) -> CouponOut:
    t = coupon.template
    return CouponOut(
        code=coupon.code,
        template_id=t.template_id,
        name=t.name,
        kind=t.kind,
        status=coupon.state(now),
        amount_off=t.amount_off,
        percent_off=t.percent_off,
        max_discount=t.max_discount,
        min_spend=t.min_spend,
        categories=t.categories,
        skus=t.skus,
        stackable=t.stackable,
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
        source=coupon.source,
        order_id=coupon.order_id,
    )


def coupons_issued(coupon: Coupon | None, now: datetime) -> list[CouponOut]:
    return [coupon_out(coupon, now)] if coupon else []


def skipped_out(skip: dict[str, str]) -> list[SkippedCouponOut]:
    return [SkippedCouponOut(template_id=t, reason=r) for t, r in sorted(skip.items())]


def template_out(record: TemplateRecord, issued: int) -> TemplateOut:
    """`issued`: the store's count (stock less what its slices hold, or the stream's count)."""
    return TemplateOut(
        **record.template.model_dump(),
        issued=issued,
        version=record.version,
    )


def _decimal(value: Fraction) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return format(exact.quantize(Decimal("0.0001")).normalize(), "f")


def earn_lines(earning: Earning) -> list[EarnLineOut]:
    return [
        EarnLineOut(
            rule=line.rule,
            description=line.description,
            points=whole,
            points_exact=_decimal(line.points),
        )
        for line, whole in zip(earning.lines, earning.whole_lines(), strict=True)
    ]


def ledger_page(rows: list[LedgerRow], next_cursor: str | None) -> LedgerPage:
    return LedgerPage(
        entries=[LedgerEntryOut.model_validate(row, from_attributes=True) for row in rows],
        next_cursor=next_cursor,
    )
