"""PynamoDB models over the ONE table of a brand stack; `infra/table.json` derives from them."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class DueIndex(GlobalSecondaryIndex["Item"]):
    """Sparse, sharded index of lots by the day they fall due (vest or expire)."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class BirthdayIndex(GlobalSecondaryIndex["Item"]):
    """Sparse, sharded: members with a birthday, by `BDAY#<MM-DD>#<shard>`."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class DormancyIndex(GlobalSecondaryIndex["Item"]):
    """Sparse, sharded: members by the local day they turn dormant, `DORMANT#<day>#<shard>`."""

    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


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
    # DynamoDB TTL attribute (epoch seconds); the code never trusts TTL to have deleted anything.
    ttl = NumberAttribute(null=True)
    due = DueIndex()
    birthdays = BirthdayIndex()
    dormancy = DormancyIndex()


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
    dormant_on = UnicodeAttribute(null=True)  # brand-local day the member turns dormant
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


class LedgerItem(Item, discriminator="ledger"):
    entry_id = UnicodeAttribute()
    seq = NumberAttribute()
    kind = UnicodeAttribute()
    points = NumberAttribute()
    balance_delta = NumberAttribute()
    pending_delta = NumberAttribute()
    debt_delta = NumberAttribute()
    balance_after = NumberAttribute()
    pending_after = NumberAttribute()
    debt_after = NumberAttribute()
    reason = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    lots = ListAttribute[Any](default=list)  # [[lot_id, delta], ...]
    created_at = UTCDateTimeAttribute()


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
    response = UnicodeAttribute()
    occurred_at = UTCDateTimeAttribute()
    growth_earned = NumberAttribute(default=0)
    growth_clawed_back = NumberAttribute(default=0)


class Allocation(MapAttribute[str, Any]):
    lot_id = UnicodeAttribute()
    points = NumberAttribute()
    returned = NumberAttribute(default=0)


class RedemptionItem(Item, discriminator="redemption"):
    order_id = UnicodeAttribute()
    points = NumberAttribute()
    discount_amount = NumberAttribute()
    allocations = ListAttribute[Allocation](of=Allocation, default=list)
    request_hash = UnicodeAttribute()
    response = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class IdempotencyItem(Item, discriminator="idempotency"):
    request_hash = UnicodeAttribute()
    created = BooleanAttribute(default=False)  # the first answer created something (an HTTP 201)
    response = UnicodeAttribute()
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


class CouponTemplateItem(Item, discriminator="coupon_template"):
    template_id = UnicodeAttribute()
    document = UnicodeAttribute()
    issued = NumberAttribute(default=0)
    version = NumberAttribute(default=1)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


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
    answer = UnicodeAttribute(null=True)  # the stored answer of the last redeem/release


class CouponCountItem(Item, discriminator="coupon_count"):
    template_id = UnicodeAttribute()
    held = NumberAttribute(default=0)


class OrderCouponsItem(Item, discriminator="order_coupons"):
    order_id = UnicodeAttribute()
    codes = ListAttribute[str](default=list)
    exclusive = BooleanAttribute(default=False)


class OnceItem(Item, discriminator="once"):
    """A business key used once (an admin issue id, an exchange id) and the answer it got."""

    request_hash = UnicodeAttribute()
    response = UnicodeAttribute()


class RateItem(Item, discriminator="rate"):
    failures = NumberAttribute(default=0)


class CheckpointItem(Item, discriminator="checkpoint"):
    """How far a nightly job has got: the last local day it finished."""

    through_day = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


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
