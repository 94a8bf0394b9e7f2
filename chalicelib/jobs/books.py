"""The nightly reconciliation on the runner: every member's books checked (a parallel scan of
the member items, one segment per partition, a page at a time), each member with a mismatch
kept once per night (`BOOKS#<day>`), which the stream publishes as `books.mismatch`.

The brand's running totals are not compared here: a night's pages may span runs (a stop, a
resume), while the members go on buying; `loyalty reconcile` compares them in one pass."""

from datetime import date

from ..domain.books import check_points, check_wallet
from ..domain.program import Program
from ..store.books import SCAN_SEGMENTS, members_pk
from ..store.due import Page
from .runner import Job, Night


def _partitions(program: Program, day: date) -> list[str]:
    return [members_pk(segment) for segment in range(SCAN_SEGMENTS)]


def _check(night: Night, member_id: str) -> None:
    books = night.deps.books.member(member_id)
    if books is None:
        return
    night.counts["members"] += 1
    _, found = check_points(member_id, books.balances, books.lots, books.rows)
    found += check_wallet(member_id, books.wallet, books.entries)[1]
    if not found:
        return
    night.counts["mismatched_members"] += 1
    night.counts["mismatches"] += len(found)
    night.changes.append({"member_id": member_id, "checks": ",".join(m.check for m in found)})
    if night.dry_run or night.deps.books.record_mismatches(night.day, member_id, found, night.now):
        night.event("books.mismatch")


def _page(night: Night, partition: str, page: Page) -> None:
    night.each(page.member_ids(), lambda m: m, lambda m: _check(night, m))


RECONCILE = Job(
    name="reconcile",
    when="after",
    partitions=_partitions,
    handle=_page,
    changed="mismatched_members",
    first_run_days=1,
)
