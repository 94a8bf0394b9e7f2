"""The member aggregate in the table: the member, its identities and its point lots."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from ..domain.errors import MemberNotFound
from ..domain.guards import Guard, Rule
from ..domain.members import Member
from ..domain.points import Balances, LedgerRow, Lot, PointsAccount, ledger_rows
from . import keys
from .ledger import stage_rows
from .models import IdentityItem, Item, LotItem, MemberItem
from .unit_of_work import UnitOfWork, dynamodb, get_or_none


def member_from(item: MemberItem) -> Member:
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


def member_item(member: Member) -> MemberItem:
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
    # Sparse, sharded indexes: only members with something due tonight carry a key.
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


class MemberStore:
    """Reads and staged writes of the member, its identities and its lots."""

    # -- reads ----------------------------------------------------------------------------

    def load(self, member_id: str) -> tuple[Member, list[Lot]] | None:
        """The member and its lots with points left, in one query (sk `M`, `M#LOT#...`)."""
        member: Member | None = None
        lots: list[Lot] = []
        with dynamodb():
            for item in Item.query(
                keys.member_pk(member_id),
                Item.sk.startswith(keys.MEMBER_SK),
                filter_condition=(Item.type == MemberItem) | (LotItem.remaining > 0),
            ):
                if isinstance(item, MemberItem):
                    member = member_from(item)
                elif isinstance(item, LotItem):
                    lots.append(_lot_from(item))
        return (member, lots) if member else None

    def load_account(self, member_id: str, now: datetime) -> tuple[Member, PointsAccount]:
        """The member and its points account as of `now`: what vested or expired since the last
        write is settled in memory (and written by whoever writes next)."""
        loaded = self.load(member_id)
        if loaded is None:
            raise MemberNotFound(f"no member {member_id}", param="member_id")
        member, lots = loaded
        account = PointsAccount.load(member.balances, lots, now)
        account.settle()
        return member, account

    def get_member(self, member_id: str) -> Member | None:
        item = get_or_none(MemberItem, keys.member_pk(member_id), keys.MEMBER_SK)
        return None if item is None else member_from(item)

    def member(self, member_id: str) -> Member:
        """The member, or MemberNotFound."""
        found = self.get_member(member_id)
        if found is None:
            raise MemberNotFound(f"no member {member_id}", param="member_id")
        return found

    def lots(self, member_id: str, lot_ids: Iterable[str]) -> list[Lot]:
        wanted = sorted(set(lot_ids))
        if not wanted:
            return []
        pk = keys.member_pk(member_id)
        with dynamodb():
            items = list(LotItem.batch_get([(pk, keys.lot_sk(lot_id)) for lot_id in wanted]))
        return [_lot_from(item) for item in items]

    def member_for_identity(self, kind: str, fingerprint: str) -> str | None:
        item = get_or_none(IdentityItem, keys.identity_pk(kind, fingerprint), keys.IDENTITY_SK)
        return None if item is None else item.member_id

    # -- staged writes --------------------------------------------------------------------

    def stage_new_member(self, uow: UnitOfWork, member: Member) -> None:
        uow.put(Guard(Rule.MEMBER_IS_NEW), member_item(member), MemberItem.pk.does_not_exist())

    def stage_member(self, uow: UnitOfWork, member: Member, now: datetime) -> None:
        """The member changed: its next version, written only if no one else wrote meanwhile."""
        expected = member.bump(now)
        uow.put(Guard(Rule.MEMBER_VERSION), member_item(member), MemberItem.version == expected)

    def stage_identity(self, uow: UnitOfWork, kind: str, fingerprint: str, member_id: str) -> None:
        item = IdentityItem(
            pk=keys.identity_pk(kind, fingerprint),
            sk=keys.IDENTITY_SK,
            member_id=member_id,
            kind=kind,
        )
        uow.put(Guard(Rule.IDENTITY_IS_NEW, kind), item, IdentityItem.pk.does_not_exist())

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
        member.balances = account.balances
        rows = ledger_rows(account.entries, account.balances, member.ledger_seq, now, new_id)
        member.ledger_seq += len(rows)
        stage_rows(uow, member.member_id, rows)
        self.stage_member(uow, member, now)
        for lot_id in sorted(account.touched):
            lot = account.lots[lot_id]
            if lot_id in account.new_lot_ids:
                guard, condition = Guard(Rule.LOT_IS_NEW, lot_id), LotItem.pk.does_not_exist()
            else:
                guard, condition = Guard(Rule.LOT_AS_READ, lot_id), None
            uow.put(guard, _lot_item(member.member_id, lot, zone), condition)
        return rows
