"""Use case (admin): merge one member into another (合并) — one person enrolled twice.

In steps that are each one transaction, so a merge of any size fits DynamoDB's limits and one
cut short (a timeout, a crash) goes on where it stopped when it is asked again:

1. both members: the merged one points at the survivor from then on (every use case answers
   `member_merged` for it, and a write racing this step fails on the version and is refused on
   its retry), the survivor takes in its identities, growth value and tier standing;
2. the points, `LOTS_PER_STEP` lots at a time: each lot with its own expiry and vesting, the
   pending points and the debt, as a `merge_out` ledger row at the one and a `merge_in` row at
   the other (the running totals, kept off the stream, see both members' changes);
3. the stored value: both parts and every top-up's bonus record, as a `merge_out` wallet entry
   at the one and a `merge_in` entry at the other (the survivor's wallet made where it has
   none); the merged member's wallet is written even where it has none, so a top-up that read
   it before step 1 fails on it and is refused on its retry;
4. the records (`RECORDS_PER_STEP` at a time): coupons, orders, redemptions, wallet payments,
   once-only ids (a refund id, a withdrawal id), the coupons on orders, the friends it
   referred, its per-template coupon counts; and the record of the merge (its stream record is
   the `member.merged` event), with the answer.

Every step is guarded by both members' versions (the wallet step by both wallets' and the
merged member's), so purchases and payments at either member while it runs are retried (the
survivor's) or refused as `member_merged` (the merged one's), and nothing is counted twice or
lost: the totals before equal the totals after.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from ..contract.merges import MergeRequest
from ..domain import membership, merge
from ..domain.errors import MemberNotFound
from ..domain.members import Member
from ..domain.outcomes import MemberNow, Merged
from ..domain.program import Program
from ..domain.wallet import Wallet
from ..store.members import MemberStore
from ..store.merges import MergeStore
from ..store.program import ProgramCache
from ..store.wallet import WalletStore
from .shared import writes
from .shared.writes import Answer, Idem, Present, run_write, stage_answer

LOTS_PER_STEP = 30  # two writes a lot (out of one partition, into the other), < 100 items
RECORDS_PER_STEP = 40


class Needs(writes.Needs, Protocol):
    members: MemberStore
    merges: MergeStore
    programs: ProgramCache
    wallets: WalletStore

    @property
    def new_id(self) -> Callable[[datetime], str]: ...


def merge_members(
    d: Needs, target_id: str, request: MergeRequest, idem: Idem | None, present: Present[Merged]
) -> Answer:
    program = d.programs.require()
    source_id = request.from_member_id

    def attempt() -> Answer:
        source = _member(d, source_id, "from_member_id")
        if source.merged_into is None:
            source = _first_step(d, program, target_id, source)
        else:
            merge.refuse(d.members.member(target_id), source)
        if source.merge_step == merge.POINTS:
            source = _move_points(d, program, source, target_id)
        if source.merge_step == merge.WALLET:
            source = _move_wallet(d, program, source, target_id)
        if source.merge_step == merge.RECORDS:
            return _move_records(d, program, source, target_id, idem, present)
        return _answer(d, program, target_id, source_id, present)

    return run_write(d, idem, attempt)


def _member(d: Needs, member_id: str, param: str) -> Member:
    found = d.members.get_member(member_id, merged_ok=True)
    if found is None:
        raise MemberNotFound(f"no member {member_id}", param=param)
    return found


def _first_step(d: Needs, program: Program, target_id: str, source: Member) -> Member:
    target = d.members.member(target_id)
    merge.refuse(
        target,
        source,
        _currency(d, source.member_id),
        _currency(d, target_id),
        _taking_in(d, source),
    )
    now = d.clock()
    moved = {"identities": len(source.identities), "growth": source.growth_total}
    uow = d.uow()
    for identity in source.identities:
        d.members.stage_identity_move(uow, identity, source.member_id, target_id)
    merge.combine(target, source, program.tiers.rank if program.tiers else lambda _: 0)
    if program.tiers is not None:  # the buckets added up may qualify for more at once
        membership.qualify(program, target, occurred=now, now=now, amount=0, growth=0, orders=0)
    merge.let_go(source, target_id)
    source.merge_moved = moved
    d.members.stage_member(uow, target, now, program.zone)
    d.members.stage_member(uow, source, now, program.zone)
    uow.commit()
    return source


def _move_points(d: Needs, program: Program, source: Member, target_id: str) -> Member:
    """Lots until none is left, each batch one transaction (re-read, so a retry resumes)."""
    while True:
        now = d.clock()
        source, given = d.members.load_account(source.member_id, now, spend=True, merged_ok=True)
        target, taking = d.members.load_account(target_id, now, spend=True)
        handover = given.hand_over(LOTS_PER_STEP, into=target_id)
        taking.take_over(handover, source.member_id)
        moved = source.merge_moved
        for name, value in (
            ("lots", len(handover.lots)),
            ("points", handover.vested),
            ("pending", handover.pending),
            ("debt", handover.debt),
            ("lifetime_points", handover.lifetime),
        ):
            moved[name] = moved.get(name, 0) + value
        if handover.last:
            source.merge_step = merge.WALLET
        uow = d.uow()
        new_id = _ids(d, now)
        d.members.stage_account(uow, source, given, zone=program.zone, now=now, new_id=new_id)
        d.members.stage_account(uow, target, taking, zone=program.zone, now=now, new_id=new_id)
        uow.commit()
        if handover.last:
            return source


def _currency(d: Needs, member_id: str) -> str | None:
    """The currency of the member's stored-value wallet, None where it has none."""
    return d.wallets.load(member_id, merged_ok=True)[2]


def _taking_in(d: Needs, member: Member) -> tuple[str, ...]:
    """The members merged into this one whose merge has not finished."""
    found = (d.members.get_member(m, merged_ok=True) for m in member.merged_from)
    return tuple(m.member_id for m in found if m is not None and m.merge_step != merge.DONE)


def _move_wallet(d: Needs, program: Program, source: Member, target_id: str) -> Member:
    """The stored value, in one transaction with the merged member's next step."""
    now = d.clock()
    source = d.members.member(source.member_id, merged_ok=True)
    if source.merge_step != merge.WALLET:  # a merge run alongside took this step first
        return source
    _, given, source_currency = d.wallets.load(source.member_id, merged_ok=True)
    uow = d.uow()
    if given is None:  # written all the same: a top-up that read "none" fails on it
        d.wallets.stage(uow, source.member_id, Wallet(), currency=program.currency, now=now)
    else:
        _, taking, target_currency = d.wallets.load(target_id)
        currency = target_currency or source_currency or program.currency
        taking = taking or Wallet()
        given.settle(now)
        taking.settle(now)
        handover = given.hand_over(target_id, now, currency)
        taking.take_over(handover, source.member_id, now)
        moved = source.merge_moved
        moved["wallet_principal"] = moved.get("wallet_principal", 0) + handover.principal
        moved["wallet_bonus"] = moved.get("wallet_bonus", 0) + handover.bonus
        d.wallets.stage(uow, source.member_id, given, currency=currency, now=now)
        d.wallets.stage(uow, target_id, taking, currency=currency, now=now)
    source.merge_step = merge.RECORDS
    d.members.stage_member(uow, source, now, program.zone)
    uow.commit()
    return source


def _ids(d: Needs, now: datetime) -> Callable[[], str]:
    return lambda: d.new_id(now)


def _move_records(
    d: Needs,
    program: Program,
    source: Member,
    target_id: str,
    idem: Idem | None,
    present: Present[Merged],
) -> Answer:
    kept: set[str] = set()
    while True:
        now = d.clock()
        source = d.members.member(source.member_id, merged_ok=True)
        batch = d.merges.records(source.member_id, target_id, RECORDS_PER_STEP, kept)
        kept.update(batch.kept)
        uow = d.uow()
        d.merges.stage_moves(uow, batch.moving, source.member_id, target_id)
        moved = source.merge_moved
        moved["records"] = moved.get("records", 0) + len(batch.moving)
        answer = None
        if not batch.more:
            source.merge_step = merge.DONE
            d.merges.stage_record(uow, target_id, source.member_id, moved, sorted(kept), now)
            target = d.members.member(target_id)
            seen = MemberNow(target, program, now)
            body = present(Merged(seen, source.member_id, now, moved, sorted(kept)))
            answer = stage_answer(d, uow, idem, Answer(body))
        d.members.stage_member(uow, source, now, program.zone)  # one step at a time
        uow.commit()
        if answer is not None:
            return answer


def _answer(
    d: Needs, program: Program, target_id: str, source_id: str, present: Present[Merged]
) -> Answer:
    """A merge asked for again once it is done: what it did."""
    record = d.merges.record(target_id, source_id)
    if record is None:
        raise MemberNotFound(f"no merge of {source_id} into {target_id}", param="from_member_id")
    target = d.members.member(target_id)
    seen = MemberNow(target, program, record.merged_at)
    return Answer(present(Merged(seen, source_id, record.merged_at, record.moved, record.kept)))
