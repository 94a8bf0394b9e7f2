"""Scheduled functions: thin wrappers that give the jobs the clock and the store."""

from __future__ import annotations

import logging
from typing import Any

from chalice import Blueprint, Rate

from ..services.deps import deps
from .lifecycle import birthday_perks, winback
from .settle import run_nights
from .tier_review import review_tiers

jobs = Blueprint(__name__)
log = logging.getLogger("loyalty.jobs")


# Hourly, so each brand's local midnight is met whatever its time zone; a run with nothing due
# reads 16 empty index partitions per day looked at.
@jobs.schedule(Rate(1, unit=Rate.HOURS), name="tier_review")
def tier_review(event: Any) -> dict[str, Any]:
    d = deps()
    report = review_tiers(d, now=d.clock())
    log.info(
        "tier review as of %s: %d candidates, %d kept, %d grace, %d downgraded",
        report.as_of,
        report.candidates,
        report.kept,
        report.grace_used,
        report.downgraded,
    )
    return {
        "as_of": report.as_of.isoformat(),
        "candidates": report.candidates,
        "downgraded": report.downgraded,
    }


@jobs.schedule(Rate(1, unit=Rate.HOURS), name="birthday_perks")
def birthday_perks_job(event: Any) -> dict[str, Any]:
    d = deps()
    report = birthday_perks(d, now=d.clock())
    log.info("birthday perks as of %s: %d issued", report.as_of, report.issued)
    return {"as_of": report.as_of.isoformat(), "issued": report.issued}


@jobs.schedule(Rate(1, unit=Rate.HOURS), name="winback")
def winback_job(event: Any) -> dict[str, Any]:
    d = deps()
    report = winback(d, now=d.clock())
    log.info("win-back as of %s: %d issued", report.as_of, report.issued)
    return {"as_of": report.as_of.isoformat(), "issued": report.issued}


@jobs.schedule(Rate(1, unit=Rate.HOURS), name="expiry")
def expiry_job(event: Any) -> dict[str, Any]:
    """Expiry and vesting for members nobody touched, each past local day once; stops before
    the Lambda's time runs out, and the next hour goes on."""
    d = deps()
    if d.programs.current() is None:
        return {"runs": []}
    context = getattr(event, "context", None)

    def time_left() -> float:
        if context is None or not hasattr(context, "get_remaining_time_in_millis"):
            return float("inf")
        return float(context.get_remaining_time_in_millis()) / 1000

    records = run_nights(d, now=d.clock(), time_left=time_left)
    for record in records:
        log.info(
            "expiry %s: %s, %d pages, %s",
            record.business_date,
            record.status,
            record.pages,
            record.counts,
        )
    return {"runs": [[r.business_date.isoformat(), r.status, r.counts] for r in records]}
