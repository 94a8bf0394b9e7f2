"""The quote at checkout: what a basket would earn, what points and coupons could take off."""

from __future__ import annotations

from typing import Protocol

from ..contract.checkout import QuoteRequest
from ..domain.earning import basket_of, earn_points, redeemable, redemption_discount
from ..domain.outcomes import Quote
from ..store.members import MemberStore
from ..store.program import ProgramCache
from .shared import offers
from .shared.writes import Clocked


class Needs(offers.Needs, Clocked, Protocol):
    programs: ProgramCache
    members: MemberStore


def quote(d: Needs, member_id: str, request: QuoteRequest) -> Quote:
    """Writes nothing; the breakdown is the one the purchase will give."""
    program = d.programs.require()
    now = d.clock()
    cart = basket_of(program, request, now)
    member, account = d.members.load_account(member_id, now)
    earning = earn_points(cart, program, member.tier)
    points = redeemable(account.available, request.amount, program.redemption)
    return Quote(
        earning=earning,
        program_version=program.version or 0,
        points_redeemable=points,
        redeemable_discount=redemption_discount(points, program),
        coupons=offers.quote_coupons(d, member_id, cart, now),
    )
