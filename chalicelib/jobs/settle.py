"""Points expiry (过期 / 清零) and vesting for members nobody touched: on a brand-local date,
every member whose soonest lot vests or expires that day (gsi4, `DUE#<day>#<shard>`) is settled
as of the end of that day, exactly as a read or a write of the member would settle it: the
unspent remainder of each due lot expires, pending points whose return window ended vest, one
journal item per member, in the same transaction as the balances and lots.

Never twice: the write is guarded by the member's version and moves its due day on, so a re-run,
a second runner or a member's own write meanwhile finds nothing due (the lazy path and the job
settle the same lots through the same code, whichever comes first). Expiry and vesting are one
job because one write settles both; `vesting` is another name for it."""

from datetime import date, datetime, time, timedelta

from ..domain.program import Program
from ..services import settlement
from ..store import keys
from ..store.due import Page
from .runner import Job, Night


def end_of(day: date, program: Program) -> datetime:
    """The first instant after the brand-local `day`."""
    return datetime.combine(day + timedelta(days=1), time(), program.zone)


def _settle(night: Night, member_id: str) -> None:
    night.counts["members"] += 1
    for step in range(MAX_STEPS):
        if not _settle_step(night, member_id, first=step == 0):
            return


MAX_STEPS = 1_000  # 40,000 lots at most for one member one night


def _settle_step(night: Night, member_id: str, first: bool) -> bool:
    """One write of the member's settlement; whether more is due."""
    counts = night.counts
    as_of = min(end_of(night.day, night.program), night.now)
    done = settlement.settle(night.deps, night.program, member_id, as_of, night.dry_run)
    if done.outcome == "gone":
        counts["gone"] += 1
    elif done.outcome == "nothing" and first:
        counts["nothing_due"] += 1  # settled meanwhile by the member's own read or write
    elif done.outcome == "changed":
        counts["changed_meanwhile"] += 1  # its own write settled it, through the same code
    if done.outcome != "settled":
        return False
    if first:
        counts["members_settled"] += 1
    for kind, points in (("expired", done.expired), ("vested", done.vested)):
        if points:
            counts[f"{kind}_points"] += points
            night.event(f"points.{kind}")
    return done.backlog


def _page(night: Night, partition: str, page: Page) -> None:
    night.each(page.member_ids(), str, lambda m: _settle(night, m))


SETTLE = Job(
    name="expiry",
    when="after",
    partitions=lambda program, day: keys.shards("DUE", day.isoformat()),
    handle=_page,
    changed="members_settled",
)
