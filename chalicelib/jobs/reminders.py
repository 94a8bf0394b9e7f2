"""Expiry reminders (积分到期提醒): on each of the program's `expiry.reminder_days` before points
expire, one `points.expiring` event per member per reminder, with the local day and the amount
that will really expire: what is left unspent of the lots ending that day, as of the reminder.

The lots are found by the last day they can be spent (gsi4, `EXPIRES#<day>#<shard>`, written
with each new lot), so a night reads the keys of the lots concerned and those lots, not the
members' whole histories. The reminder is an item written only if absent, and the stream makes
it the event: a re-run, a resumed page or a second runner sends nothing twice."""

from datetime import date, timedelta

from ..domain.points import Lot
from ..domain.program import Program
from ..store import keys
from ..store.due import Page, member_id_of
from ..store.members import due_day
from .runner import Job, Night


def _partitions(program: Program, day: date) -> list[str]:
    ends = [(day + timedelta(days=before)).isoformat() for before in program.expiry.reminder_days]
    return [partition for end in ends for partition in keys.shards("EXPIRES", end)]


def _page(night: Night, partition: str, page: Page) -> None:
    if not page:
        return
    last_day = date.fromisoformat(partition.split("#")[1])  # EXPIRES#<day>#<shard>
    before = (last_day - night.day).days
    seen = night.cache.setdefault(f"seen:{partition}", set())
    assert isinstance(seen, set)
    # a member whose lots a page boundary cut was done whole with the page before
    members = sorted(set(page.member_ids()) - seen)
    seen.update(members)
    wanted = [key for key in page if member_id_of(key[0]) in members]
    if page.more and members and member_id_of(page[-1][0]) == members[-1]:
        # the last member's lots may go on in the next page: all of them now
        wanted += night.deps.due.lot_keys(partition, members[-1])
    lots = night.deps.due.lots(wanted)
    night.each(members, str, lambda m: _remind(night, m, last_day, before, lots.get(m, [])))


def _remind(night: Night, member_id: str, last_day: date, before: int, lots: list[Lot]) -> None:
    zone = night.program.zone
    night.counts["members"] += 1
    points = sum(
        lot.remaining
        for lot in lots
        if lot.expires_at is not None and due_day(lot.expires_at, zone) == last_day
    )
    if points <= 0:
        night.counts["nothing_left"] += 1  # spent (or given back) since the lot was earned
        return
    store = night.deps.reminders
    if night.dry_run:
        sent = not store.sent(member_id, last_day, before)
    else:
        sent = store.send(member_id, last_day, before, points, night.day, night.now)
    if not sent:
        night.counts["already_sent"] += 1
        return
    night.counts["members_reminded"] += 1
    night.counts["expiring_points"] += points
    night.event("points.expiring")


REMINDERS = Job(
    name="reminders",
    when="on",
    partitions=_partitions,
    handle=_page,
    changed="members_reminded",
)
