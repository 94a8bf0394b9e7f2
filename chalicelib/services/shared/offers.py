"""What a member's coupons would take off a basket, for the quote."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ...domain.coupons import applicability
from ...domain.earning import Basket
from ...domain.outcomes import CouponQuote
from ...store.coupons import CouponStore


class Needs(Protocol):
    coupons: CouponStore


def quote_coupons(d: Needs, member_id: str, basket: Basket, now: datetime) -> list[CouponQuote]:
    """The member's usable coupons and what each takes off this basket (reasons included: the
    member's own coupons reveal nothing to an outsider), best first."""
    quoted = []
    for coupon in d.coupons.coupons(member_id):
        if coupon.state(now) != "usable":
            continue
        if now < coupon.valid_from:
            reason, applies, discount, free = "not valid yet", False, 0, False
        else:
            found = applicability(coupon.template, basket)
            reason, applies = found.reason, found.applies
            discount, free = found.discount, found.free_shipping
        quoted.append(
            CouponQuote(
                code=coupon.code,
                name=coupon.template.name,
                applies=applies,
                reason=reason,
                discount_amount=discount,
                free_shipping=free,
                stackable=coupon.template.stackable,
            )
        )
    return sorted(quoted, key=lambda q: (not q.applies, -q.discount_amount))
