"""A plausible demo history (`loyalty demo seed`): members enrolling over months and buying as
real members do — a few loyal ones every week or two, regulars about monthly, many who bought
once or twice, some who stopped — with partial refunds, points redeemed and coupons used, written
through the same use cases a storefront calls, each on its own day of an injected clock. The
dashboard, the figures and the nightly jobs then have something to show.

Deterministic for a seed, and safe to run again: its phones and order ids are its own, so a second
run finds each member enrolled and each purchase recorded, and changes nothing.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from msgspec import Struct

from chalicelib.contract.checkout import (
    PurchaseRequest,
    RedemptionRequest,
    RefundRequest,
    purchase_out,
    redemption_out,
    refund_out,
)
from chalicelib.contract.common import as_json
from chalicelib.contract.coupons import release_out
from chalicelib.contract.members import EnrollRequest, enroll_out
from chalicelib.domain.errors import InsufficientPoints
from chalicelib.services import kpis, members, purchases, redemptions, refunds
from chalicelib.services.deps import Deps

# archetype: (share of members, days between purchases, chance the member stops for good)
KINDS = {
    "loyal": (0.10, 9, 0.0),
    "regular": (0.25, 30, 0.15),
    "occasional": (0.40, 75, 0.3),
    "once": (0.25, 10_000, 1.0),
}

REFUND = refunds.Presenters(refund=as_json(refund_out), release=as_json(release_out))


class Summary(Struct):
    enrolled: int = 0
    purchases: int = 0
    refunds: int = 0
    redemptions: int = 0


def plan(members_n: int, days: int, rng: random.Random) -> dict[int, list[tuple[str, int]]]:
    """Day offset → what happens that day: ("enroll", n) or ("buy", n), for member n."""
    by_day: dict[int, list[tuple[str, int]]] = defaultdict(list)
    kinds = list(KINDS)
    weights = [KINDS[k][0] for k in kinds]
    for n in range(members_n):
        joined = min(int(rng.random() ** 1.5 * days), days - 1)  # more members early on
        by_day[joined].append(("enroll", n))
        kind = rng.choices(kinds, weights)[0]
        _, gap, stops = KINDS[kind]
        day = joined
        while day < days:
            by_day[day].append(("buy", n))
            if rng.random() < stops * 0.3:
                break
            day += max(1, int(rng.expovariate(1 / gap)))
    return by_day


def seed_history(
    deps: Deps,
    set_clock: Callable[[datetime], None],
    members_n: int,
    days: int,
    *,
    seed: int = 2026,
    progress: Callable[[int], None] = lambda day: None,
) -> Summary:
    """Write the history, moving the clock `deps` reads (`set_clock`) day by day from `days` ago
    to today (each day's writes between 10:00 and 21:00 brand time), and back to today's noon."""
    rng = random.Random(seed)
    program = deps.programs.require()
    zone, currency = program.zone, program.currency
    today = deps.clock().astimezone(zone).replace(hour=10, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=days - 1)
    summary = Summary()
    ids: dict[int, str] = {}
    bought: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for offset, happenings in sorted(plan(members_n, days, rng).items()):
        opening = first + timedelta(days=offset)
        for k, (what, n) in enumerate(happenings):
            set_clock(opening + timedelta(seconds=k * 39_600 // max(1, len(happenings))))
            if what == "enroll":
                phone = f"1{3_000_000_000 + n:010d}"  # 13000000000, 13000000001, ...
                answer = members.enroll(
                    deps, EnrollRequest(phone=phone), None, None, as_json(enroll_out)
                )
                ids[n] = json.loads(answer.body)["member_id"]
                summary.enrolled += 1
                continue
            member_id = ids[n]
            order_id = f"demo-{n}-{len(bought[n])}"
            amount = int(rng.lognormvariate(9.6, 0.6)) // 100 * 100 + 100  # about ¥150, skewed
            sale = PurchaseRequest(order_id=order_id, amount=amount, currency=currency)
            purchases.purchase(deps, member_id, sale, None, as_json(purchase_out))
            bought[n].append((order_id, amount))
            summary.purchases += 1
            if rng.random() < 0.06:  # a partial return
                refund = RefundRequest(order_id=order_id, amount=amount // 3)
                refunds.refund(deps, member_id, refund, None, REFUND)
                summary.refunds += 1
            if rng.random() < 0.12:  # points off a later basket, if it has them vested
                with contextlib.suppress(InsufficientPoints):
                    request = RedemptionRequest(order_id=f"{order_id}-r", points=500)
                    redemptions.redeem(deps, member_id, request, None, as_json(redemption_out))
                    summary.redemptions += 1
        if offset < days - 1:  # the day is over: its standing figures, as the night keeps them
            set_clock(opening.replace(hour=23, minute=30))
            kpis.snapshot(deps, opening.date())
        progress(offset + 1)
    set_clock(today + timedelta(hours=2))
    return summary
