"""The member aggregate in the table: the member, its identities and its point lots."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from ..domain.checkin import Streak
from ..domain.errors import MemberMerged, MemberNotFound
from ..domain.guards import Guard, Rule
from ..domain.members import Member
from ..domain.points import (
    SETTLE_LOTS_PER_WRITE,
    Balances,
    LedgerRow,
    Lot,
    PointsAccount,
    ledger_rows,
)
from ..domain.referrals import Referral
from . import keys
from .ledger import stage_rows
from .models import IdentityItem, Item, LotItem, MemberItem
from .unit_of_work import UnitOfWork, dynamodb, get_or_none, scan_page


def member_from(item: MemberItem) -> Member:
    member = Member(
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
        dormant_since=item.dormant_since,
        churned_since=item.churned_since,
        next_due_at=item.next_due_at,
        name=item.name,
        gender=item.gender,
        locale=item.locale,
        tags=list(item.tags or []),
        attributes=json.loads(item.attributes or "{}"),
        consent_at=item.consent_at,
        consent_channel=item.consent_channel,
        streak=msgspec.json.decode(item.streak, type=Streak) if item.streak else Streak(),
        referral_code=item.referral_code,
        referral=(msgspec.json.decode(item.referral, type=Referral) if item.referral else None),
        device=item.device,
        network=item.network,
        merged_into=item.merged_into,
        merged_from=list(item.merged_from or []),
        merge_step=item.merge_step,
        merge_moved=json.loads(item.merge_moved or "{}"),
        active_day=item.active_day,
        purchase_day=item.purchase_day,
        prev_purchase_day=item.prev_purchase_day,
        rfm_weeks=json.loads(item.rfm_weeks or "{}"),
    )
    return member


MERGE_HOPS = 8  # a member merged into one merged in turn: how far `survivor` follows


def _not_merged(member: Member) -> Member:
    if member.merged_into is not None:
        raise MemberMerged(member.member_id, member.merged_into)
    return member


def due_day(due_at: datetime, zone: ZoneInfo) -> date:
    """The brand-local day by whose end the member has something due: a lot that ends at
    midnight is due with the day before it (the nightly job of day D settles up to its end)."""
    return (due_at - timedelta(microseconds=1)).astimezone(zone).date()


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def member_item(member: Member, zone: ZoneInfo) -> MemberItem:
    """`zone` is the brand's: the due index is by the brand-local day."""
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
        tier_metrics=_compact(member.tier_metrics),
        last_active_at=member.last_active_at,
        dormant_on=member.dormant_on,
        dormant_since=member.dormant_since,
        churned_since=member.churned_since,
        next_due_at=member.next_due_at,
        name=member.name,
        gender=member.gender,
        locale=member.locale,
        tags=member.tags or None,
        attributes=(
            json.dumps(member.attributes, ensure_ascii=False, sort_keys=True)
            if member.attributes
            else None
        ),
        consent_at=member.consent_at,
        consent_channel=member.consent_channel,
        streak=msgspec.json.encode(member.streak).decode() if member.streak.runs else None,
        referral_code=member.referral_code,
        referral=msgspec.json.encode(member.referral).decode() if member.referral else None,
        device=member.device,
        network=member.network,
        merged_into=member.merged_into,
        merged_from=member.merged_from or None,
        merge_step=member.merge_step,
        merge_moved=json.dumps(member.merge_moved, sort_keys=True) if member.merge_moved else None,
        active_day=member.active_day,
        purchase_day=member.purchase_day,
        prev_purchase_day=member.prev_purchase_day,
        rfm_weeks=_compact(member.rfm_weeks) if member.rfm_weeks else None,
        created_at=member.created_at,
        updated_at=member.updated_at,
    )
    return _index_keys(item, member, zone)


def _index_keys(item: MemberItem, member: Member, zone: ZoneInfo) -> MemberItem:
    """Sparse, sharded indexes: only members with something due some night carry a key (and a
    member merged into another has nothing due: no night finds it)."""
    if member.merged_into is not None:
        return item
    if member.tier is not None and member.tier_review_on is not None:
        item.gsi1pk = keys.review_pk(member.tier_review_on, member.member_id)
        item.gsi1sk = member.member_id
    if member.birthday is not None:
        item.gsi2pk = keys.birthday_pk(member.birthday[5:], member.member_id)
        item.gsi2sk = member.member_id
    if member.dormant_on is not None:
        item.gsi3pk = keys.dormancy_pk(member.dormant_on, member.member_id)
        item.gsi3sk = member.member_id
    if member.next_due_at is not None:
        item.gsi4pk = keys.due_pk(due_day(member.next_due_at, zone), member.member_id)
        item.gsi4sk = member.member_id
    return item


def lot_from(item: LotItem) -> Lot:
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
    if lot.expires_at is not None:  # for the reminders: keys only, written when the lot is new
        item.gsi4pk = keys.expiring_pk(due_day(lot.expires_at, zone), member_id)
        item.gsi4sk = f"{member_id}#{lot.lot_id}"
    return item


class MemberStore:
    """Reads and staged writes of the member, its identities and its lots."""

    # -- reads ----------------------------------------------------------------------------

    def scan(
        self, segment: int = 0, total_segments: int = 1, after: str | None = None, limit: int = 500
    ) -> tuple[list[Member], str | None]:
        """Members (not merged away) among the next `limit` items of one segment of a parallel
        scan, and where it goes on (None: the segment is done). For the nightly sample, exports
        and segment targeting; never on a storefront's path."""
        items, after = scan_page(
            MemberItem, after, limit, segment=segment, total_segments=total_segments
        )
        members = [member_from(item) for item in items]
        return [m for m in members if m.merged_into is None], after

    def load(self, member_id: str, *, merged_ok: bool = False) -> tuple[Member, list[Lot]] | None:
        """The member and its live lots, in one query (sk `M`, `M#LOT#...`): spent lots are
        deleted, so this reads what is left, not the member's history. A member merged into
        another is `MemberMerged` (unless `merged_ok`: the merge itself, its history)."""
        member: Member | None = None
        lots: list[Lot] = []
        with dynamodb():
            for item in Item.query(keys.member_pk(member_id), Item.sk.startswith(keys.MEMBER_SK)):
                if isinstance(item, MemberItem):
                    member = member_from(item)
                elif isinstance(item, LotItem):
                    lots.append(lot_from(item))
        if member is not None and not merged_ok:
            _not_merged(member)
        return (member, lots) if member else None

    def load_account(
        self,
        member_id: str,
        now: datetime,
        *,
        spend: bool = False,
        merged_ok: bool = False,
        settle_limit: int | None = SETTLE_LOTS_PER_WRITE,
    ) -> tuple[Member, PointsAccount]:
        """The member and its points account as of `now`: what vested or expired since the last
        write is settled in memory (and written by whoever writes next), `settle_limit` lots
        each at most, so that the write holds them (None: all, for an answer that is shown, not
        written; the nightly job settles the rest).

        The lots are read only to `spend` (redeem, claw back, give back) or when one of them
        is due; otherwise the member item alone holds the balances, one small read whatever
        the member's history."""
        if spend:  # one query: the member and its lots
            member, account = self._with_lots(member_id, now, merged_ok)
        else:
            member = self.member(member_id, merged_ok=merged_ok)
            if member.next_due_at is not None and member.next_due_at <= now:
                member, account = self._with_lots(member_id, now, merged_ok)
            else:
                account = PointsAccount.load(member.balances, None, now)
        account.settle(settle_limit)
        return member, account

    def _with_lots(
        self, member_id: str, now: datetime, merged_ok: bool
    ) -> tuple[Member, PointsAccount]:
        loaded = self.load(member_id, merged_ok=merged_ok)
        if loaded is None:
            raise MemberNotFound(f"no member {member_id}", param="member_id")
        member, lots = loaded
        return member, PointsAccount.load(member.balances, lots, now)

    def get_member(self, member_id: str, *, merged_ok: bool = False) -> Member | None:
        """The member, None, or (merged into another, unless `merged_ok`) `MemberMerged`."""
        item = get_or_none(MemberItem, keys.member_pk(member_id), keys.MEMBER_SK)
        if item is None:
            return None
        member = member_from(item)
        return member if merged_ok else _not_merged(member)

    def member(self, member_id: str, *, merged_ok: bool = False) -> Member:
        """The member, or MemberNotFound (or MemberMerged, unless `merged_ok`)."""
        found = self.get_member(member_id, merged_ok=merged_ok)
        if found is None:
            raise MemberNotFound(f"no member {member_id}", param="member_id")
        return found

    def survivor(self, member_id: str) -> str:
        """The member `member_id` is now: itself, or the one it was merged into (followed)."""
        for _ in range(MERGE_HOPS):
            found = self.get_member(member_id, merged_ok=True)
            if found is None or found.merged_into is None:
                return member_id
            member_id = found.merged_into
        return member_id

    def member_for_identity(self, kind: str, fingerprint: str) -> str | None:
        item = get_or_none(IdentityItem, keys.identity_pk(kind, fingerprint), keys.IDENTITY_SK)
        return None if item is None else item.member_id

    # -- staged writes --------------------------------------------------------------------

    def stage_new_member(self, uow: UnitOfWork, member: Member, zone: ZoneInfo) -> None:
        item = member_item(member, zone)
        uow.put(Guard(Rule.MEMBER_IS_NEW), item, MemberItem.pk.does_not_exist())

    def stage_member(self, uow: UnitOfWork, member: Member, now: datetime, zone: ZoneInfo) -> None:
        """The member changed: its next version, written only if no one else wrote meanwhile
        (what it moves of the merchant's figures, the stream consumer reads off the change)."""
        expected = member.bump(now)
        item = member_item(member, zone)
        uow.put(Guard(Rule.MEMBER_VERSION), item, MemberItem.version == expected)

    def stage_identity_removal(
        self, uow: UnitOfWork, kind: str, fingerprint: str, member_id: str
    ) -> None:
        """Delete the identity, only if it is still this member's."""
        item = IdentityItem(pk=keys.identity_pk(kind, fingerprint), sk=keys.IDENTITY_SK)
        uow.delete(Guard(Rule.IDENTITY_IS_MEMBERS, kind), item, IdentityItem.member_id == member_id)

    def stage_identity_move(
        self, uow: UnitOfWork, identity: str, source_id: str, target_id: str
    ) -> None:
        """An identity ("kind:fingerprint") of `source_id` now `target_id`'s (a merge)."""
        kind, fingerprint = identity.split(":", 1)
        item = IdentityItem(
            pk=keys.identity_pk(kind, fingerprint),
            sk=keys.IDENTITY_SK,
            member_id=target_id,
            kind=kind,
        )
        uow.put(Guard(Rule.IDENTITY_IS_MEMBERS, kind), item, IdentityItem.member_id == source_id)

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
        """The member with its new balances, every lot touched and the write's ledger rows,
        guarded by the member's version: a concurrent change makes the whole write fail.
        A lot left with no points is deleted (its ledger rows keep its history)."""
        member.balances = account.balances
        member.next_due_at = account.next_due(member.next_due_at)
        rows = ledger_rows(account.entries, account.balances, member.ledger_seq, now, new_id)
        member.ledger_seq += len(rows)
        stage_rows(uow, member.member_id, rows)
        self.stage_member(uow, member, now, zone)
        for lot_id in sorted(account.touched):
            lot = account.lots[lot_id]
            item = _lot_item(member.member_id, lot, zone)
            if not lot.live:
                if lot_id in account.stored:
                    uow.delete(Guard(Rule.LOT_AS_READ, lot_id), item)
            elif lot_id in account.new_lot_ids:
                uow.put(Guard(Rule.LOT_IS_NEW, lot_id), item, LotItem.pk.does_not_exist())
            else:
                uow.put(Guard(Rule.LOT_AS_READ, lot_id), item)
        return rows
