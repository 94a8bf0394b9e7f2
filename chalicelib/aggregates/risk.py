"""Velocity signals (风控) kept off the stream: enrolments that share a device or a network,
counted once per member by a mark under the subject, and the signals reached, each written once.

Nothing here is on a storefront's path: an enrolment never waits on, fails over, or conflicts
with what other enrolments share. Every step is idempotent (a mark is a put of the member's own
key, a signal a conditional put), so a redelivered batch changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ..domain.kpis import day_of
from ..domain.program import Program
from ..domain.risk import MEMBER_KINDS, reached, shared_subjects
from ..store.models import MemberItem, RiskCountItem
from ..store.risk import RiskStore, Signal, kind_of
from ..store.stream import Change


def observe(changes: Iterable[Change], program: Program | None, risk: RiskStore) -> int:
    """Count what the changes share and keep the signals they reach; how many are new."""
    if program is None:  # no program, no thresholds
        return 0
    written = 0
    for change in changes:
        new, old = change.new, change.old
        if isinstance(new, MemberItem) and change.name == "INSERT":
            written += _enrolment(new, program, risk)
        elif isinstance(new, RiskCountItem):
            before = int(old.seen or 0) if isinstance(old, RiskCountItem) else 0
            written += _member_count(new, before, program, risk, change)
    return written


def _enrolment(member: MemberItem, program: Program, risk: RiskStore) -> int:
    written = 0
    day = day_of(member.created_at, program.zone)
    local = date.fromisoformat(day)
    for kind, subject_pk, subject in shared_subjects(member.device, member.network):
        threshold: int | None = getattr(program.risk, kind)
        if threshold is None:
            continue
        risk.mark_seen(subject_pk, local, kind, member.member_id, program.zone)
        if risk.seen(subject_pk, local, kind, threshold) >= threshold:
            signal = Signal(kind, day, subject, threshold, member.member_id, member.created_at)
            written += risk.signal_once(signal, program.zone)
    return written


def _member_count(
    item: RiskCountItem, before: int, program: Program, risk: RiskStore, change: Change
) -> int:
    parsed = kind_of(item.sk)
    if parsed is None or parsed[1] not in MEMBER_KINDS:
        return 0
    day, kind = parsed
    threshold: int | None = getattr(program.risk, kind)
    if not reached(before, int(item.seen or 0), threshold):
        return 0
    member_id = item.pk.split("#", 1)[1]
    at = item.last_at or change.at
    signal = Signal(kind, day, member_id, threshold or 0, member_id, at)
    return int(risk.signal_once(signal, program.zone))
