"""Points expiry (过期) and vesting for members nobody touched: on a brand-local date, every
member whose soonest lot vests or expires that day (gsi4, `DUE#<day>#<shard>`) is settled as of
the end of that day, exactly as a read or a write of the member would settle it: the unspent
remainder of each due lot expires, pending points whose return window ended vest, one journal
item per member, in the same transaction as the balances and lots.

Never twice: the write is guarded by the member's version and moves its due day on, so a re-run,
a second runner or a member's own write meanwhile finds nothing due (the lazy path and the job
settle the same lots through the same code, whichever comes first)."""

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from ..domain.errors import MemberNotFound
from ..domain.guards import WriteRejected
from ..domain.program import Program
from ..services.deps import Deps
from ..store import keys
from ..store.runs import Run
from .checkpoints import days_to_run
from .runner import Job, run

FIRST_RUN_DAYS = 3


def end_of(day: date, program: Program) -> datetime:
    """The first instant after the brand-local `day`."""
    return datetime.combine(day + timedelta(days=1), time(), program.zone)


def _settle(
    deps: Deps, program: Program, member_id: str, day: date, dry_run: bool, counts: Counter[str]
) -> None:
    as_of = min(end_of(day, program), deps.clock())
    try:
        member, account = deps.members.load_account(member_id, as_of, spend=True)
    except MemberNotFound:
        counts["gone"] += 1
        return
    if not account.entries:
        counts["nothing_due"] += 1  # settled meanwhile by the member's own read or write
        return
    expired = -sum(e.points for e in account.entries if e.kind == "expire")
    vested = sum(e.balance_delta for e in account.entries if e.kind == "vest")
    if not dry_run:
        uow = deps.uow()
        deps.members.stage_account(
            uow, member, account, zone=program.zone, now=as_of, new_id=lambda: deps.new_id(as_of)
        )
        try:
            uow.commit()  # TooManyLots goes up: the runner records it as the member's error
        except WriteRejected:
            counts["changed_meanwhile"] += 1  # its own write settled it, through the same code
            return
    counts["members_settled"] += 1
    counts.update({k: v for k, v in (("expired_points", expired), ("vested_points", vested)) if v})


SETTLE = Job(
    name="expiry",
    partition=lambda day, shard: keys.shard_key("DUE", day.isoformat(), shard),
    handle=_settle,
)


def run_nights(
    deps: Deps,
    *,
    now: datetime,
    through: date | None = None,
    days_back: int | None = None,
    dry_run: bool = False,
    time_left: Callable[[], float] = lambda: float("inf"),
    days: list[date] | None = None,
    on_shard: Callable[[date, int], None] | None = None,
) -> list[Run]:
    """Every business date not finished yet, through `through` (default: yesterday, local),
    each to its end unless time runs out (the next run goes on where this one stopped)."""
    program = deps.programs.require()
    yesterday = now.astimezone(program.zone).date() - timedelta(days=1)
    last = min(through or yesterday, yesterday)
    records = []
    wanted = (
        days
        if days is not None
        else days_to_run(deps, SETTLE.name, last, days_back, FIRST_RUN_DAYS)
    )
    for day in wanted:
        if day > yesterday:
            break  # a day not over yet is not settled
        progress = (lambda shard, d=day: on_shard(d, shard)) if on_shard else None
        record = run(
            deps, SETTLE, day, now=now, dry_run=dry_run, time_left=time_left, on_shard=progress
        )
        records.append(record)
        if record.status != "finished":
            break
        if not dry_run and days is None:  # dates asked for by hand leave the schedule's
            deps.jobs.advance(SETTLE.name, day, now)  # checkpoint alone (their shards are done)
    return records
