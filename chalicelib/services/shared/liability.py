"""What the brand owes its members, from the running totals (points and stored value) the
stream consumer keeps, as of its watermark."""

from __future__ import annotations

from datetime import datetime

from ...contract.figures import LiabilityOut
from ...domain.program import Program
from ...store.totals import Totals


def liability_of(
    totals: Totals, program: Program, now: datetime, watermark: datetime | None
) -> LiabilityOut:
    """`watermark`: every change up to it is counted (None: nothing folded yet)."""
    rate = program.redemption
    return LiabilityOut(
        as_of=watermark or now,
        lag_seconds=round((now - watermark).total_seconds(), 3) if watermark else None,
        currency=program.currency,
        points_outstanding=totals.points_balance,
        points_pending=totals.points_pending,
        points_debt=totals.points_debt,
        points_value=max(totals.points_balance, 0) * rate.amount // rate.points,
        wallet_principal=totals.wallet_principal,
        wallet_bonus=totals.wallet_bonus,
        wallet_outstanding=totals.wallet_principal + totals.wallet_bonus,
    )
