"""PynamoDB models over the ONE table of a brand stack; `infra/table.json` derives from them."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.constants import BINARY
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from . import answers


class CompressedText(Attribute[str]):
    """A JSON answer kept compressed as Binary (`answers.pack`): about a quarter of its bytes,
    and of the write capacity, and it reads back exactly as written."""

    attr_type = BINARY

    def serialize(self, value: str) -> bytes:
        return answers.pack(value)

    def deserialize(self, value: bytes) -> str:
        return answers.unpack(value)


# Every index projects keys only: a member rewrite that keeps its index keys writes no index
# entry, and a job reads the keys of one night's members and then the members themselves.


class ReviewIndex(GlobalSecondaryIndex["Item"]):
    """Sparse, sharded: members with a tier by the local day of their review, `REVIEW#<day>#<s>`."""

    class Meta:
        index_name = "gsi1"
        projection = KeysOnlyProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class BirthdayIndex(GlobalSecondaryIndex["Item"]):
    """Sparse, sharded: members with a birthday, by `BDAY#<MM-DD>#<shard>`."""

    class Meta:
        index_name = "gsi2"
        projection = KeysOnlyProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class DormancyIndex(GlobalSecondaryIndex["Item"]):
    """Sparse, sharded: members by the local day they turn dormant, `DORMANT#<day>#<shard>`."""

    class Meta:
        index_name = "gsi3"
        projection = KeysOnlyProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class DueIndex(GlobalSecondaryIndex["Item"]):
    """Sparse, sharded: members by the local day their next lot vests or expires,
    `DUE#<day>#<shard>` (one entry per member, moved only when that day changes; a lot ending at
    midnight is due with the day before: `members.due_day`)."""

    class Meta:
        index_name = "gsi4"
        projection = KeysOnlyProjection()

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class Item(Model):
    class Meta:
        table_name = "loyalty"  # set by the composition root from settings
        region = "us-east-1"
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_AND_OLD_IMAGES"  # the events are read from the stream

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    # DynamoDB TTL attribute (epoch seconds): idempotency answers, events (the outbox), webhook
    # deliveries, reminders, run records and book mismatches set it; the code never trusts TTL
    # to have deleted anything.
    ttl = NumberAttribute(null=True)
    reviews = ReviewIndex()
    birthdays = BirthdayIndex()
    dormancy = DormancyIndex()
    due = DueIndex()


class MemberItem(Item, discriminator="member"):
    member_id = UnicodeAttribute()
    version = NumberAttribute()
    points_balance = NumberAttribute(default=0)
    points_pending = NumberAttribute(default=0)
    points_debt = NumberAttribute(default=0)
    lifetime_points = NumberAttribute(default=0)
    ledger_seq = NumberAttribute(default=0)
    tier = UnicodeAttribute(null=True)
    phone_masked = UnicodeAttribute(null=True)
    email_masked = UnicodeAttribute(null=True)
    external_id = UnicodeAttribute(null=True)
    identities = ListAttribute[str](default=list)
    birthday = UnicodeAttribute(null=True)
    marketing_consent = BooleanAttribute(default=False)
    channel = UnicodeAttribute(null=True)
    tier_since = UTCDateTimeAttribute(null=True)
    tier_grace_left = NumberAttribute(default=0)
    tier_review_on = UnicodeAttribute(null=True)
    growth_total = NumberAttribute(default=0)
    tier_metrics = UnicodeAttribute(default="{}")  # JSON {bucket: [spend, orders, growth]}
    last_active_at = UTCDateTimeAttribute(null=True)
    dormant_on = UnicodeAttribute(null=True)  # brand-local day the lifecycle job looks next
    dormant_since = UnicodeAttribute(null=True)  # set by the dormancy job, cleared by activity
    churned_since = UnicodeAttribute(null=True)  # likewise
    # When the member's soonest lot vests or expires: before it, the balances on this item are
    # the whole truth and a read needs no lots.
    next_due_at = UTCDateTimeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    gender = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    tags = ListAttribute[str](null=True)
    attributes = UnicodeAttribute(null=True)  # JSON {key: value}
    consent_at = UTCDateTimeAttribute(null=True)
    consent_channel = UnicodeAttribute(null=True)
    streak = UnicodeAttribute(null=True)  # JSON checkin.Streak, once the member checked in
    referral_code = UnicodeAttribute(null=True)
    referral = UnicodeAttribute(null=True)  # JSON referrals.Referral, for a referred member
    device = UnicodeAttribute(null=True)  # keyed fingerprint of the enrolment's device_id
    network = UnicodeAttribute(null=True)  # the IPv4 /24 or IPv6 /48 it enrolled from
    merged_into = UnicodeAttribute(null=True)
    merged_from = ListAttribute[str](null=True)
    merge_step = UnicodeAttribute(null=True)
    merge_moved = UnicodeAttribute(null=True)  # JSON {what: how many}, while merging
    active_day = UnicodeAttribute(null=True)  # brand-local days, for the merchant's figures
    purchase_day = UnicodeAttribute(null=True)
    prev_purchase_day = UnicodeAttribute(null=True)
    rfm_weeks = UnicodeAttribute(null=True)  # JSON {local Monday: [orders, amount]}, RFM window
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class IdentityItem(Item, discriminator="identity"):
    member_id = UnicodeAttribute()
    kind = UnicodeAttribute()


class LotItem(Item, discriminator="lot"):
    lot_id = UnicodeAttribute()
    points = NumberAttribute()
    remaining = NumberAttribute()
    earned_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute(null=True)
    vests_at = UTCDateTimeAttribute(null=True)
    pending = BooleanAttribute()
    order_id = UnicodeAttribute(null=True)


class JournalItem(Item, discriminator="journal"):
    """The ledger rows one write made, at `LEDGER#<first seq>`: one item per write, however
    many rows (an expiry settled on the way, a debt repaid), so the ledger reads in order."""

    first_seq = NumberAttribute()
    last_seq = NumberAttribute()
    rows = UnicodeAttribute()  # JSON: [[field, ...], ...] in the order of `journal.ROW_FIELDS`


class OrderItem(Item, discriminator="order"):
    order_id = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    points_earned = NumberAttribute()
    lot_id = UnicodeAttribute(null=True)
    refunded_amount = NumberAttribute(default=0)
    points_clawed_back = NumberAttribute(default=0)
    program_version = NumberAttribute()
    request_hash = UnicodeAttribute()
    response = CompressedText()
    occurred_at = UTCDateTimeAttribute()
    growth_earned = NumberAttribute(default=0)
    growth_clawed_back = NumberAttribute(default=0)
    recorded_at = UTCDateTimeAttribute(null=True)  # when the purchase was recorded
    refunded_at = UTCDateTimeAttribute(null=True)  # when it was last refunded
    merged_from = UnicodeAttribute(null=True)  # moved here by a merge from that member


class Allocation(MapAttribute[str, Any]):
    lot_id = UnicodeAttribute()
    points = NumberAttribute()
    returned = NumberAttribute(default=0)
    # The lot's own terms: a spent lot is deleted, and a refund restores it from these.
    lot_points = NumberAttribute(null=True)
    earned_at = UTCDateTimeAttribute(null=True)
    expires_at = UTCDateTimeAttribute(null=True)
    lot_order_id = UnicodeAttribute(null=True)


class RedemptionItem(Item, discriminator="redemption"):
    order_id = UnicodeAttribute()
    points = NumberAttribute()
    discount_amount = NumberAttribute()
    allocations = ListAttribute[Allocation](of=Allocation, default=list)
    request_hash = UnicodeAttribute()
    response = CompressedText()
    created_at = UTCDateTimeAttribute()


class IdempotencyItem(Item, discriminator="idempotency"):
    request_hash = UnicodeAttribute()
    created = BooleanAttribute(default=False)  # the first answer created something (an HTTP 201)
    # The first answer: kept here, or (`answer_sk`) the key of the business record in the same
    # partition as `answer_pk` that keeps it already, so it is stored once.
    response = CompressedText(null=True)
    answer_pk = UnicodeAttribute(null=True)
    answer_sk = UnicodeAttribute(null=True)
    expires_at = UTCDateTimeAttribute()


class ProgramItem(Item, discriminator="program"):
    version = NumberAttribute()
    document = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


class ApiKeyItem(Item, discriminator="api_key"):
    key_id = UnicodeAttribute()
    scope = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    revoked = BooleanAttribute(default=False)
    grants = ListAttribute[str](null=True)  # beyond the scope: pii:read


class CouponTemplateItem(Item, discriminator="coupon_template"):
    template_id = UnicodeAttribute()
    document = UnicodeAttribute()
    issued = NumberAttribute(default=0)
    version = NumberAttribute(default=1)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class StockSliceItem(Item, discriminator="stock_slice"):
    """One slice of a template's stock (`STOCK#<template>#<slice>`, sk `S`): what is left of
    it, taken one at a time by a conditional write (never below 0) and given back by an ADD."""

    template_id = UnicodeAttribute()
    left = NumberAttribute(default=0)


class SegmentItem(Item, discriminator="segment"):
    segment_id = UnicodeAttribute()
    document = UnicodeAttribute()
    version = NumberAttribute(default=1)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class RfmSampleItem(Item, discriminator="rfm_sample"):
    business_date = UnicodeAttribute()
    cuts = UnicodeAttribute()  # JSON rfm.Cuts
    population = NumberAttribute()  # the members the sample stands for
    sample = CompressedText()  # JSON [segments.Profile], the members read
    created_at = UTCDateTimeAttribute()


class RfmCutsItem(Item, discriminator="rfm_cuts"):
    """The last sample's cut points alone (`RFM`, sk `CUTS`): a member's scores, an export or a
    campaign need no profiles, and the sample item is up to 300 KB."""

    business_date = UnicodeAttribute()
    cuts = UnicodeAttribute()  # JSON rfm.Cuts


class CampaignItem(Item, discriminator="segment_campaign"):
    """A coupon template issued to a segment's members, as one resumable run (`SEGISSUE`)."""

    document = UnicodeAttribute()  # JSON store.segments.Campaign
    version = NumberAttribute()


class SharedCodeItem(Item, discriminator="shared_code"):
    template_id = UnicodeAttribute()


class CouponItem(Item, discriminator="coupon"):
    code = UnicodeAttribute()
    template_id = UnicodeAttribute()
    rules = UnicodeAttribute()  # the template as it was at issue: a coupon never changes terms
    status = UnicodeAttribute()  # issued | redeemed
    source = UnicodeAttribute()
    issued_at = UTCDateTimeAttribute()
    valid_from = UTCDateTimeAttribute()
    valid_until = UTCDateTimeAttribute()
    order_id = UnicodeAttribute(null=True)
    redeemed_at = UTCDateTimeAttribute(null=True)
    released_order_id = UnicodeAttribute(null=True)
    released_at = UTCDateTimeAttribute(null=True)
    answer = CompressedText(null=True)  # the stored answer of the last redeem/release
    merged_from = UnicodeAttribute(null=True)  # moved here by a merge from that member


class CouponCountItem(Item, discriminator="coupon_count"):
    template_id = UnicodeAttribute()
    held = NumberAttribute(default=0)


class MergeItem(Item, discriminator="merge"):
    """A member merged into this one (`MERGED#<source>` in the survivor's partition): written
    once, by the merge's last step; the stream makes it `member.merged`."""

    member_id = UnicodeAttribute()
    from_member_id = UnicodeAttribute()
    moved = UnicodeAttribute()  # JSON {what: how many}
    kept = ListAttribute[str](null=True)  # records left with the source (same key at both)
    merged_at = UTCDateTimeAttribute()


class OrderCouponsItem(Item, discriminator="order_coupons"):
    order_id = UnicodeAttribute()
    codes = ListAttribute[str](default=list)
    exclusive = BooleanAttribute(default=False)


class OnceItem(Item, discriminator="once"):
    """A business key used once (an admin issue id, an exchange id) and the answer it got."""

    request_hash = UnicodeAttribute()
    response = CompressedText()


class CheckinItem(Item, discriminator="checkin"):
    """One brand-local day a member checked in (or made up), at `CHECKIN#<day>`: the day's
    points, and the answer its check-in got (a second check-in that day gets it again)."""

    day = UnicodeAttribute()
    points = NumberAttribute()
    bonus_points = NumberAttribute(default=0)
    streak = NumberAttribute()
    makeup = BooleanAttribute(default=False)
    response = CompressedText()


class UsageItem(Item, discriminator="usage"):
    """What a member did one brand-local day, at `USE#<day>`, for the daily limits (风控):
    ADDed, under a condition that it stays within the limit, in the write it counts."""

    earned = NumberAttribute(null=True)
    checkin = NumberAttribute(null=True)
    redemptions = NumberAttribute(null=True)
    coupons = NumberAttribute(null=True)


class ReferralCodeItem(Item, discriminator="referral_code"):
    """A referral code's member (`REFCODE#<code>`, sk `C`): written once, so a code is one
    member's."""

    member_id = UnicodeAttribute()


class ReferredItem(Item, discriminator="referred"):
    """A friend a member referred, in the referrer's partition (`REFERRED#<friend id>`): the
    friend's referral as of its last change, copied by the stream consumer."""

    friend_id = UnicodeAttribute()
    referral = UnicodeAttribute()  # JSON referrals.Referral
    friend_version = NumberAttribute(null=True)  # the friend's version it was copied from


class ReferralMarkItem(Item, discriminator="referral_mark"):
    """In the referrer's partition: `REFDEV#<fingerprint>` a device one of its friends enrolled
    with (once: a second friend on it is refused), `REFCAP#<month>` the month's rewards."""

    rewards = NumberAttribute(null=True)
    friend_id = UnicodeAttribute(null=True)  # a device's: the friend who enrolled on it


class RiskCountItem(Item, discriminator="risk_count"):
    """A member's count of one velocity signal one brand-local day, in its own partition at
    `RISK#<day>#<kind>`, only ever ADDed to by the member's own writes; kept 40 days."""

    seen = NumberAttribute(default=0)
    last_at = UTCDateTimeAttribute(null=True)  # the write that counted last


class RiskSeenItem(Item, discriminator="risk_seen"):
    """A member counted once for a shared subject (`DEVICE#<fingerprint>`, `IPNET#<range>`) one
    brand-local day, at `RISK#<day>#<kind>#<member>`: written by the stream consumer, so an
    enrolment never waits on, or conflicts over, what other enrolments share; counting them is
    a query. Kept 40 days."""

    member_id = UnicodeAttribute()


class RiskSignalItem(Item, discriminator="risk_signal"):
    """A velocity signal reached one day (`RISK#<day>`, sk `<kind>#<subject>`): written once, by
    the stream consumer when a count reaches its threshold; the stream makes it `risk.signal`."""

    kind = UnicodeAttribute()
    day = UnicodeAttribute()
    subject = UnicodeAttribute()  # a member id, a device fingerprint's prefix, an IP range
    threshold = NumberAttribute()
    member_id = UnicodeAttribute()  # the member whose write reached it
    created_at = UTCDateTimeAttribute()


class RateItem(Item, discriminator="rate"):
    failures = NumberAttribute(default=0)


class EventItem(Item, discriminator="event"):
    """A published business event, kept 30 days for pulling (`EVENTS#<UTC day>`, sk the id,
    which sorts by time). Written by the stream consumer, never on a member's hot path."""

    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    member_id = UnicodeAttribute(null=True)
    envelope = UnicodeAttribute()  # the JSON as published
    published = BooleanAttribute(default=False)


class WebhookItem(Item, discriminator="webhook"):
    """A webhook endpoint (`WEBHOOKS`, sk `WH#<id>`): where events go and the secrets that sign
    them, sealed with the brand's key (`sealed.seal`); the old one signs for 24 h after a
    rotation."""

    webhook_id = UnicodeAttribute()
    url = UnicodeAttribute()
    events = ListAttribute[str](default=list)
    description = UnicodeAttribute(default="")
    enabled = BooleanAttribute(default=True)
    secret = UnicodeAttribute()
    old_secret = UnicodeAttribute(null=True)
    old_secret_until = UTCDateTimeAttribute(null=True)
    version = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class DeliveryItem(Item, discriminator="delivery"):
    """One event to one endpoint (`WH#<webhook id>`, sk `DLV#<delivery id>`, ids that sort by
    the event's time): its attempts and how the last one went. Kept 30 days."""

    delivery_id = UnicodeAttribute()
    webhook_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | delivered | failed
    attempts = NumberAttribute(default=0)
    round = NumberAttribute(default=1)  # 1, then one more per redelivery asked for
    claimed_at = UTCDateTimeAttribute(null=True)  # an attempt under way (cleared when recorded)
    last_code = NumberAttribute(null=True)
    last_reason = UnicodeAttribute(null=True)
    next_attempt_at = UTCDateTimeAttribute(null=True)
    delivered_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class ShardProgressItem(Item, discriminator="shard_progress"):
    """How far one job got through one business date's shard (`JOB#<job>#<date>`, sk the
    shard): the index key to resume after, or done. Written after every page."""

    after = UnicodeAttribute(null=True)
    done = BooleanAttribute(default=False)
    updated_at = UTCDateTimeAttribute()


class RunItem(Item, discriminator="job_run"):
    """One run of a nightly job (`RUNS`, sk the run id, a ULID: newest last)."""

    run_id = UnicodeAttribute()
    job = UnicodeAttribute()
    business_date = UnicodeAttribute()
    dry_run = BooleanAttribute(default=False)
    status = UnicodeAttribute()  # running | finished | stopped (out of time) | failed
    pages = NumberAttribute(default=0)
    counts = UnicodeAttribute(default="{}")  # JSON {name: number}
    errors = ListAttribute[str](default=list)
    started_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)


class ReminderItem(Item, discriminator="reminder"):
    """An expiry reminder sent (`REMIND#<last day>#<days before>` in the member's partition):
    written once, and the stream makes it the `points.expiring` event. Removed by TTL."""

    points = NumberAttribute()
    expires_on = UnicodeAttribute()  # the last brand-local day the points can be spent
    days_before = NumberAttribute()
    business_date = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class CheckpointItem(Item, discriminator="checkpoint"):
    """How far a nightly job has got: the last local day it finished."""

    through_day = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


class WalletItem(Item, discriminator="wallet"):
    """A member's stored value (`W` in its partition): the two parts, frozen or not, the entries
    written so far, and the bonus each top-up gave (JSON, see `domain.wallet.Grant`)."""

    member_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    principal = NumberAttribute(default=0)
    bonus = NumberAttribute(default=0)
    frozen = BooleanAttribute(default=False)
    frozen_reason = UnicodeAttribute(null=True)
    seq = NumberAttribute(default=0)
    version = NumberAttribute()
    grants = UnicodeAttribute(default="[]")
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class WalletEntryItem(Item, discriminator="wallet_entry"):
    """One change of a wallet (`WALLET#<seq>`), with the split and the parts after it; the
    stream makes it the `wallet.*` event."""

    member_id = UnicodeAttribute()
    seq = NumberAttribute()
    kind = UnicodeAttribute()
    principal_delta = NumberAttribute()
    bonus_delta = NumberAttribute()
    principal_after = NumberAttribute()
    bonus_after = NumberAttribute()
    reason = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    currency = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class TopupItem(Item, discriminator="topup"):
    """A top-up (`TOPUP#<payment id>`): once per payment id, with its bonus and how much of it
    was withdrawn since."""

    payment_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    amount = NumberAttribute()
    bonus = NumberAttribute(default=0)
    withdrawn = NumberAttribute(default=0)
    bonus_taken = NumberAttribute(default=0)  # the bonus share withdrawals took back, in total
    version = NumberAttribute(default=1)
    request_hash = UnicodeAttribute()
    response = CompressedText()
    created_at = UTCDateTimeAttribute()


class WalletPaymentItem(Item, discriminator="wallet_payment"):
    """A payment out of the wallet (`WPAY#<order id>`): its split, the grants its bonus came
    from (JSON), and what refunds gave back."""

    order_id = UnicodeAttribute()
    amount = NumberAttribute()
    principal = NumberAttribute()
    bonus = NumberAttribute()
    drawn = UnicodeAttribute(default="[]")
    refunded = NumberAttribute(default=0)
    bonus_back = NumberAttribute(default=0)
    returned = UnicodeAttribute(default="{}")
    version = NumberAttribute(default=1)
    request_hash = UnicodeAttribute()
    response = CompressedText()
    created_at = UTCDateTimeAttribute()


class AggregatePositionItem(Item, discriminator="agg_position"):
    """How far the stream consumer has folded one stream shard into the brand's figures
    (`AGGPOS`, sk the shard id): written in the same transaction as the deltas it folded, under
    the condition that it is still what was read, so a redelivered batch adds nothing twice."""

    seq = UnicodeAttribute()  # the last sequence number folded
    last_at = UTCDateTimeAttribute()  # the latest fact folded, by its write's clock (the books')
    folded_at = UTCDateTimeAttribute()  # when the consumer folded it


class TotalsItem(Item, discriminator="totals"):
    """One slot of the brand's running totals (`TOTALS`, sk the slot), only ever added to, by
    the stream consumer."""

    points_balance = NumberAttribute(default=0)
    points_pending = NumberAttribute(default=0)
    points_debt = NumberAttribute(default=0)
    wallet_principal = NumberAttribute(default=0)
    wallet_bonus = NumberAttribute(default=0)


class KpiDayItem(Item, discriminator="kpi_day"):
    """One slot of a brand-local day's figures (`KPI`, sk `<day>#<slot>`): the day's flows and
    the members whose last activity / purchase / purchase before falls on it, only ever ADDed to,
    by the stream consumer."""

    members_new = NumberAttribute(default=0)
    members_merged = NumberAttribute(default=0)
    tier_changes = NumberAttribute(default=0)
    active = NumberAttribute(default=0)
    purchasers = NumberAttribute(default=0)
    repeat_purchasers = NumberAttribute(default=0)
    orders = NumberAttribute(default=0)
    sales = NumberAttribute(default=0)
    refunds = NumberAttribute(default=0)
    refunded_amount = NumberAttribute(default=0)
    points_earned = NumberAttribute(default=0)
    points_checkin = NumberAttribute(default=0)
    points_referral = NumberAttribute(default=0)
    points_imported = NumberAttribute(default=0)
    points_vested = NumberAttribute(default=0)
    points_redeemed = NumberAttribute(default=0)
    points_exchanged = NumberAttribute(default=0)
    points_returned = NumberAttribute(default=0)
    points_clawed_back = NumberAttribute(default=0)
    points_expired = NumberAttribute(default=0)
    points_debt_repaid = NumberAttribute(default=0)
    active_mark = NumberAttribute(default=0)
    purchase_mark = NumberAttribute(default=0)
    prev_purchase_mark = NumberAttribute(default=0)


class KpiCountItem(Item, discriminator="kpi_count"):
    """One shard of a standing count (`KPICOUNT`, sk `<name>#<shard>`): the members, the members
    in each tier."""

    n = NumberAttribute(default=0)


class KpiCouponItem(Item, discriminator="kpi_coupon"):
    """One shard of a day's coupons of one template (`KPICPN`, sk `<day>#<template>#<shard>`)."""

    template_id = UnicodeAttribute(null=True)
    issued = NumberAttribute(default=0)
    redeemed = NumberAttribute(default=0)
    released = NumberAttribute(default=0)


class KpiSnapshotItem(Item, discriminator="kpi_snapshot"):
    """The standing figures as a brand-local day ended (`KPISNAP`, sk the day), kept by the
    nightly `figures` job: the series of the active ratios and the repurchase rate."""

    figures = UnicodeAttribute()  # JSON {members, active_7d, active_30d, purchasers_30d, ...}
    taken_at = UTCDateTimeAttribute()


class SalesTotalsItem(Item, discriminator="sales_totals"):
    """What the storefront reported of a day's every sale, members' or not (`KPISALES`, sk the
    day): the last report of a day wins."""

    day = UnicodeAttribute()
    orders = NumberAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    reported_at = UTCDateTimeAttribute()


class BooksMismatchItem(Item, discriminator="books_mismatch"):
    """What the nightly reconciliation found wrong with a member's books (`BOOKS#<day>`, sk
    the member): written once; the stream makes it the `books.mismatch` event."""

    member_id = UnicodeAttribute()
    business_date = UnicodeAttribute()
    mismatches = UnicodeAttribute()  # JSON [{check, expected, actual, detail}]
    created_at = UTCDateTimeAttribute()


def configure(table_name: str, region: str) -> None:
    """Point every model at the brand's table (called once by the composition root)."""
    if Item.Meta.table_name != table_name or Item.Meta.region != region:
        Item.Meta.table_name = table_name
        Item.Meta.region = region
        models: list[type[Item]] = [Item, *Item.__subclasses__()]
        for model in models:
            model._connection = None


def create_table() -> None:
    if not Item.exists():
        Item.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
