"""The member aggregate in the table: member, identities, lots, ledger, orders, redemptions."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.errors import ValidationFailed
from ..domain.members import Member
from ..domain.points import Balances, Entry, Lot, PointsAccount
from . import keys
from .models import (
    Allocation,
    IdentityItem,
    Item,
    LedgerItem,
    LotItem,
    MemberItem,
    OrderItem,
    RedemptionItem,
)
from .unit_of_work import StoreUnavailable, UnitOfWork, get_or_none

# -- mapping ---------------------------------------------------------------------------------


def _member_from(item: MemberItem) -> Member:
    return Member(
        member_id=item.member_id,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
        ledger_seq=int(item.ledger_seq),
        balances=Balances(
            balance=int(item.points_balance),
            pending=int(item.points_pending),
            debt=int(item.points_debt),
            lifetime=int(item.lifetime_points),
        ),
        tier=item.tier,
        phone_masked=item.phone_masked,
        email_masked=item.email_masked,
        external_id=item.external_id,
        identities=list(item.identities or []),
        birthday=item.birthday,
        marketing_consent=bool(item.marketing_consent),
        channel=item.channel,
        tier_since=item.tier_since,
        tier_grace_left=int(item.tier_grace_left or 0),
        tier_review_on=item.tier_review_on,
        growth_total=int(item.growth_total or 0),
        tier_metrics=json.loads(item.tier_metrics or "{}"),
        last_active_at=item.last_active_at,
        dormant_on=item.dormant_on,
    )


def _member_item(member: Member) -> MemberItem:
    b = member.balances
    item = MemberItem(
        pk=keys.member_pk(member.member_id),
        sk=keys.MEMBER_SK,
        member_id=member.member_id,
        version=member.version,
        ledger_seq=member.ledger_seq,
        points_balance=b.balance,
        points_pending=b.pending,
        points_debt=b.debt,
        lifetime_points=b.lifetime,
        tier=member.tier,
        phone_masked=member.phone_masked,
        email_masked=member.email_masked,
        external_id=member.external_id,
        identities=member.identities,
        birthday=member.birthday,
        marketing_consent=member.marketing_consent,
        channel=member.channel,
        tier_since=member.tier_since,
        tier_grace_left=member.tier_grace_left,
        tier_review_on=member.tier_review_on,
        growth_total=member.growth_total,
        tier_metrics=json.dumps(member.tier_metrics, separators=(",", ":"), sort_keys=True),
        last_active_at=member.last_active_at,
        dormant_on=member.dormant_on,
        created_at=member.created_at,
        updated_at=member.updated_at,
    )
    if member.tier is not None and member.tier_review_on is not None:
        item.gsi1pk = keys.review_pk(member.tier_review_on, member.member_id)
        item.gsi1sk = member.member_id
    if member.birthday is not None:
        item.gsi2pk = keys.birthday_pk(member.birthday[5:], member.member_id)
        item.gsi2sk = member.member_id
    if member.dormant_on is not None:
        item.gsi3pk = keys.dormancy_pk(member.dormant_on, member.member_id)
        item.gsi3sk = member.member_id
    return item


def _lot_from(item: LotItem) -> Lot:
    return Lot(
        lot_id=item.lot_id,
        points=int(item.points),
        remaining=int(item.remaining),
        earned_at=item.earned_at,
        expires_at=item.expires_at,
        vests_at=item.vests_at,
        pending=bool(item.pending),
        order_id=item.order_id,
    )


def _lot_item(member_id: str, lot: Lot, zone: ZoneInfo) -> LotItem:
    item = LotItem(
        pk=keys.member_pk(member_id),
        sk=keys.lot_sk(lot.lot_id),
        lot_id=lot.lot_id,
        points=lot.points,
        remaining=lot.remaining,
        earned_at=lot.earned_at,
        expires_at=lot.expires_at,
        vests_at=lot.vests_at,
        pending=lot.pending,
        order_id=lot.order_id,
    )
    # Sparse index: only lots still waiting for something carry a due day.
    if lot.pending and lot.vests_at:
        item.gsi1pk = keys.due_pk("vest", lot.vests_at.astimezone(zone).date(), member_id)
        item.gsi1sk = keys.due_sk(member_id, lot.lot_id)
    elif lot.remaining and lot.expires_at:
        item.gsi1pk = keys.due_pk("expire", lot.expires_at.astimezone(zone).date(), member_id)
        item.gsi1sk = keys.due_sk(member_id, lot.lot_id)
    return item


@dataclass(frozen=True)
class LedgerRow:
    entry_id: str
    seq: int
    kind: str
    points: int
    balance_delta: int
    pending_delta: int
    debt_delta: int
    balance_after: int
    pending_after: int
    debt_after: int
    reason: str
    order_id: str | None
    lots: list[tuple[str, int]]
    created_at: datetime


def _row_from(item: LedgerItem) -> LedgerRow:
    return LedgerRow(
        entry_id=item.entry_id,
        seq=int(item.seq),
        kind=item.kind,
        points=int(item.points),
        balance_delta=int(item.balance_delta),
        pending_delta=int(item.pending_delta),
        debt_delta=int(item.debt_delta),
        balance_after=int(item.balance_after),
        pending_after=int(item.pending_after),
        debt_after=int(item.debt_after),
        reason=item.reason,
        order_id=item.order_id,
        lots=[(str(lot_id), int(delta)) for lot_id, delta in item.lots or []],
        created_at=item.created_at,
    )


# -- records a use case reads besides the account --------------------------------------------


@dataclass(frozen=True)
class OrderRecord:
    order_id: str
    amount: int
    currency: str
    points_earned: int
    lot_id: str | None
    refunded_amount: int
    points_clawed_back: int
    program_version: int
    request_hash: str
    response: str
    occurred_at: datetime
    growth_earned: int = 0
    growth_clawed_back: int = 0


@dataclass(frozen=True)
class RedemptionRecord:
    order_id: str
    points: int
    discount_amount: int
    allocations: list[tuple[str, int, int]]  # lot_id, points taken, points returned
    request_hash: str
    response: str
    created_at: datetime


def _order_from(item: OrderItem) -> OrderRecord:
    return OrderRecord(
        order_id=item.order_id,
        amount=int(item.amount),
        currency=item.currency,
        points_earned=int(item.points_earned),
        lot_id=item.lot_id,
        refunded_amount=int(item.refunded_amount),
        points_clawed_back=int(item.points_clawed_back),
        program_version=int(item.program_version),
        request_hash=item.request_hash,
        response=item.response,
        occurred_at=item.occurred_at,
        growth_earned=int(item.growth_earned or 0),
        growth_clawed_back=int(item.growth_clawed_back or 0),
    )


def _redemption_from(item: RedemptionItem) -> RedemptionRecord:
    return RedemptionRecord(
        order_id=item.order_id,
        points=int(item.points),
        discount_amount=int(item.discount_amount),
        allocations=[(a.lot_id, int(a.points), int(a.returned)) for a in item.allocations],
        request_hash=item.request_hash,
        response=item.response,
        created_at=item.created_at,
    )


class MemberStore:
    """Reads and staged writes of the member aggregate; PynamoDB errors stop here."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self.new_uow = uow_factory

    # -- reads ----------------------------------------------------------------------------

    def load(self, member_id: str) -> tuple[Member, list[Lot]] | None:
        """The member and its lots with points left, in one query (sk `M`, `M#LOT#...`)."""
        member: Member | None = None
        lots: list[Lot] = []
        try:
            for item in Item.query(
                keys.member_pk(member_id),
                Item.sk.startswith(keys.MEMBER_SK),
                filter_condition=(Item.type == MemberItem) | (LotItem.remaining > 0),
            ):
                if isinstance(item, MemberItem):
                    member = _member_from(item)
                elif isinstance(item, LotItem):
                    lots.append(_lot_from(item))
        except Exception as exc:
            raise StoreUnavailable(str(exc)) from exc
        return (member, lots) if member else None

    def get_member(self, member_id: str) -> Member | None:
        item = get_or_none(MemberItem, keys.member_pk(member_id), keys.MEMBER_SK)
        if item is None:
            return None
        return _member_from(item)

    def lots(self, member_id: str, lot_ids: Iterable[str]) -> list[Lot]:
        wanted = sorted(set(lot_ids))
        if not wanted:
            return []
        pk = keys.member_pk(member_id)
        try:
            items = list(LotItem.batch_get([(pk, keys.lot_sk(lot_id)) for lot_id in wanted]))
        except Exception as exc:
            raise StoreUnavailable(str(exc)) from exc
        return [_lot_from(item) for item in items]

    def order_and_redemption(
        self, member_id: str, order_id: str
    ) -> tuple[OrderRecord | None, RedemptionRecord | None]:
        pk = keys.member_pk(member_id)
        order = redemption = None
        try:
            for item in Item.batch_get(
                [(pk, keys.order_sk(order_id)), (pk, keys.redemption_sk(order_id))]
            ):
                if isinstance(item, OrderItem):
                    order = _order_from(item)
                elif isinstance(item, RedemptionItem):
                    redemption = _redemption_from(item)
        except Exception as exc:
            raise StoreUnavailable(str(exc)) from exc
        return order, redemption

    def order(self, member_id: str, order_id: str) -> OrderRecord | None:
        return self.order_and_redemption(member_id, order_id)[0]

    def redemption(self, member_id: str, order_id: str) -> RedemptionRecord | None:
        return self.order_and_redemption(member_id, order_id)[1]

    def due_for_review(self, day: str, shard: int) -> Iterator[Member]:
        """Members whose tier review falls on `day` (one shard of the sparse index)."""
        try:
            for item in MemberItem.due.query(keys.review_pk_for_shard(day, shard)):
                if isinstance(item, MemberItem):
                    yield _member_from(item)
        except Exception as exc:
            raise StoreUnavailable(str(exc)) from exc

    def birthdays(self, month_day: str, shard: int) -> Iterator[Member]:
        """Members born on `MM-DD` (one shard of the sparse birthday index)."""
        yield from self._members_in(MemberItem.birthdays, keys.shard_key("BDAY", month_day, shard))

    def turning_dormant(self, day: str, shard: int) -> Iterator[Member]:
        """Members whose last activity makes them dormant on the local `day`."""
        yield from self._members_in(MemberItem.dormancy, keys.shard_key("DORMANT", day, shard))

    @staticmethod
    def _members_in(index: Any, partition: str) -> Iterator[Member]:
        try:
            for item in index.query(partition):
                if isinstance(item, MemberItem):
                    yield _member_from(item)
        except Exception as exc:
            raise StoreUnavailable(str(exc)) from exc

    def member_for_identity(self, kind: str, fingerprint: str) -> str | None:
        item = get_or_none(IdentityItem, keys.identity_pk(kind, fingerprint), keys.IDENTITY_SK)
        if item is None:
            return None
        return item.member_id

    def ledger(
        self, member_id: str, limit: int, cursor: str | None
    ) -> tuple[list[LedgerRow], str | None]:
        """Newest first; the cursor is opaque to callers (the last sequence number, encoded)."""
        before = _decode_cursor(cursor) if cursor else None
        if before is not None and before <= 1:
            return [], None
        upper = keys.ledger_sk(before - 1) if before is not None else keys.LEDGER_PREFIX + "~"
        try:
            items = list(
                LedgerItem.query(
                    keys.member_pk(member_id),
                    LedgerItem.sk.between(keys.LEDGER_PREFIX, upper),
                    scan_index_forward=False,
                    limit=limit + 1,
                )
            )
        except Exception as exc:
            raise StoreUnavailable(str(exc)) from exc
        rows = [_row_from(item) for item in items]
        page, more = rows[:limit], len(rows) > limit
        return page, (_encode_cursor(page[-1].seq) if more and page else None)

    # -- staged writes --------------------------------------------------------------------

    def stage_member(self, uow: UnitOfWork, member: Member, *, expected_version: int) -> None:
        item = _member_item(member)
        if expected_version == 0:
            uow.put("member_is_new", item, MemberItem.pk.does_not_exist())
        else:
            uow.put("member_version", item, MemberItem.version == expected_version)

    def stage_identity(self, uow: UnitOfWork, kind: str, fingerprint: str, member_id: str) -> None:
        item = IdentityItem(
            pk=keys.identity_pk(kind, fingerprint),
            sk=keys.IDENTITY_SK,
            member_id=member_id,
            kind=kind,
        )
        uow.put(f"identity_is_new:{kind}", item, IdentityItem.pk.does_not_exist())

    def stage_account(
        self,
        uow: UnitOfWork,
        member: Member,
        account: PointsAccount,
        *,
        zone: ZoneInfo,
        now: datetime,
        new_id: Callable[[], str],
    ) -> list[LedgerRow]:
        """The member with its new balances, every lot touched and one ledger row per entry,
        guarded by the member's version: a concurrent change makes the whole write fail."""
        expected = member.version
        member.balances = account.balances
        member.version = expected + 1
        member.updated_at = now
        rows = self._stage_entries(uow, member, account.entries, now, new_id)
        self.stage_member(uow, member, expected_version=expected)
        for lot_id in sorted(account.touched):
            lot = account.lots[lot_id]
            condition = LotItem.pk.does_not_exist() if lot_id in account.new_lot_ids else None
            uow.put(f"lot:{lot_id}", _lot_item(member.member_id, lot, zone), condition)
        return rows

    def _stage_entries(
        self,
        uow: UnitOfWork,
        member: Member,
        entries: Sequence[Entry],
        now: datetime,
        new_id: Callable[[], str],
    ) -> list[LedgerRow]:
        rows = []
        # Running totals replay the entries from the balances before them.
        after = Balances(
            balance=member.balances.balance - sum(e.balance_delta for e in entries),
            pending=member.balances.pending - sum(e.pending_delta for e in entries),
            debt=member.balances.debt - sum(e.debt_delta for e in entries),
        )
        for entry in entries:
            member.ledger_seq += 1
            after.balance += entry.balance_delta
            after.pending += entry.pending_delta
            after.debt += entry.debt_delta
            row = LedgerRow(
                entry_id=new_id(),
                seq=member.ledger_seq,
                kind=entry.kind,
                points=entry.points,
                balance_delta=entry.balance_delta,
                pending_delta=entry.pending_delta,
                debt_delta=entry.debt_delta,
                balance_after=after.balance,
                pending_after=after.pending,
                debt_after=after.debt,
                reason=entry.reason,
                order_id=entry.order_id,
                lots=list(entry.lots),
                created_at=now,
            )
            item = LedgerItem(
                pk=keys.member_pk(member.member_id),
                sk=keys.ledger_sk(row.seq),
                entry_id=row.entry_id,
                seq=row.seq,
                kind=row.kind,
                points=row.points,
                balance_delta=row.balance_delta,
                pending_delta=row.pending_delta,
                debt_delta=row.debt_delta,
                balance_after=row.balance_after,
                pending_after=row.pending_after,
                debt_after=row.debt_after,
                reason=row.reason,
                order_id=row.order_id,
                lots=[[lot_id, delta] for lot_id, delta in row.lots],
                created_at=now,
            )
            uow.put(f"ledger:{row.seq}", item, LedgerItem.pk.does_not_exist())
            rows.append(row)
        return rows

    def stage_new_order(self, uow: UnitOfWork, member_id: str, order: OrderRecord) -> None:
        """A purchase is unique by (member, order id) inside the same transaction."""
        uow.put("order_is_new", self._order_item(member_id, order), OrderItem.pk.does_not_exist())

    def stage_order_refund(
        self, uow: UnitOfWork, member_id: str, order: OrderRecord, refunded_before: int
    ) -> None:
        uow.put(
            "order_refunded_as_read",
            self._order_item(member_id, order),
            OrderItem.refunded_amount == refunded_before,
        )

    @staticmethod
    def _order_item(member_id: str, order: OrderRecord) -> OrderItem:
        return OrderItem(
            pk=keys.member_pk(member_id),
            sk=keys.order_sk(order.order_id),
            order_id=order.order_id,
            amount=order.amount,
            currency=order.currency,
            points_earned=order.points_earned,
            lot_id=order.lot_id,
            refunded_amount=order.refunded_amount,
            points_clawed_back=order.points_clawed_back,
            program_version=order.program_version,
            request_hash=order.request_hash,
            response=order.response,
            occurred_at=order.occurred_at,
            growth_earned=order.growth_earned,
            growth_clawed_back=order.growth_clawed_back,
        )

    def stage_redemption(
        self, uow: UnitOfWork, member_id: str, record: RedemptionRecord, *, is_new: bool
    ) -> None:
        item = RedemptionItem(
            pk=keys.member_pk(member_id),
            sk=keys.redemption_sk(record.order_id),
            order_id=record.order_id,
            points=record.points,
            discount_amount=record.discount_amount,
            allocations=[
                Allocation(lot_id=lot_id, points=taken, returned=back)
                for lot_id, taken, back in record.allocations
            ],
            request_hash=record.request_hash,
            response=record.response,
            created_at=record.created_at,
        )
        # An order gets one points redemption; later changes are guarded by the member version.
        condition = RedemptionItem.pk.does_not_exist() if is_new else RedemptionItem.pk.exists()
        uow.put("redemption_is_new" if is_new else "redemption_exists", item, condition)


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": seq}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("cursor is not one this API returned", param="cursor") from exc
    if not isinstance(value, int) or value < 0:
        raise ValidationFailed("cursor is not one this API returned", param="cursor")
    return value
