"""The quote at checkout: what a basket would earn, what points and coupons could take off."""

from __future__ import annotations

from ..contract.checkout import QuoteOut, QuoteRequest
from ..domain.earning import earn_points, redeemable, redemption_discount
from .deps import Deps
from .shared.baskets import basket
from .shared.offers import quote_coupons
from .shared.presenters import earn_lines


def quote(deps: Deps, member_id: str, request: QuoteRequest) -> QuoteOut:
    """Writes nothing; the breakdown is the one the purchase will give."""
    program = deps.programs.require()
    now = deps.clock()
    cart = basket(
        program, request.amount, request.currency, request.items, now, request.occurred_at
    )
    member, account = deps.members.load_account(member_id, now)
    earning = earn_points(cart, program, member.tier)
    points = redeemable(account.available, request.amount, program.redemption)
    return QuoteOut(
        points_earned=earning.points,
        breakdown=earn_lines(earning),
        program_version=program.version or 0,
        points_redeemable=points,
        redeemable_discount=redemption_discount(points, program),
        coupons=quote_coupons(deps, member_id, cart, now),
    )
