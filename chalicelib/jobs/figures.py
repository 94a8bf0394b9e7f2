"""The nightly `figures` job on the runner: the standing figures (members, active in 7 and 30
days, purchasers and repeat purchasers of 30 days) as the brand-local day ended, kept so the
merchant's figures show the active ratios and the repurchase rate over time. The marks they are
read from only ever say where members stand now, so a past day's cannot be worked out later:
a night missed has no snapshot (it is not made up from today's marks)."""

from datetime import timedelta

from ..services import kpis
from .runner import Job, Night, no_pages, no_partitions


def _snapshot(night: Night) -> None:
    yesterday = night.now.astimezone(night.program.zone).date() - timedelta(days=1)
    if night.day < yesterday:
        night.counts["superseded"] = 1  # the marks have moved on since that day ended
        return
    if night.dry_run:
        return
    taken = kpis.snapshot(night.deps, night.day)
    night.counts.update({f"figures.{name}": n for name, n in taken.items()})
    night.counts["snapshots"] = 1


FIGURES = Job(
    name="figures",
    when="after",
    partitions=no_partitions,
    handle=no_pages,
    changed="snapshots",
    first_run_days=1,
    whole=_snapshot,
)
