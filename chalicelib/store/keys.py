"""Every key of the one table, built in one place.

Member partition (`MEMBER#<id>`): the member at sk `M`, its live lots at `M#LOT#<id>` (so one
query reads the member and its lots; a spent lot is deleted, its history is in the ledger), the
ledger as one journal item per write at `LEDGER#<first seq>`, orders `ORDER#<order_id>`, point
redemptions `REDEEM#<order_id>`, once-only keys `ONCE#<kind>#<key>`, expiry reminders sent
`REMIND#<day>#<days before>`, check-in days `CHECKIN#<day>`, the day's use for the daily limits
`USE#<day>`, the members merged into it `MERGED#<source id>`.
The secondary indexes are sparse and sharded and carry keys only: gsi1 the tier review day,
gsi2 the birthday, gsi3 the day the lifecycle job looks at the member next, gsi4 the day its
soonest lot vests or expires (`DUE#<day>#<shard>`) and, for lots, the last day each lot can be
spent (`EXPIRES#<day>#<shard>`), so nightly jobs read one day's members without scanning.
"""

from __future__ import annotations

import zlib
from datetime import date

MEMBER_SK = "M"
LOT_PREFIX = "M#LOT#"
LEDGER_PREFIX = "LEDGER#"
DUE_SHARDS = 16


def member_pk(member_id: str) -> str:
    return f"MEMBER#{member_id}"


def lot_sk(lot_id: str) -> str:
    return f"{LOT_PREFIX}{lot_id}"


def ledger_sk(seq: int) -> str:
    return f"{LEDGER_PREFIX}{seq:012d}"


def order_sk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def redemption_sk(order_id: str) -> str:
    return f"REDEEM#{order_id}"


def identity_pk(kind: str, fingerprint: str) -> str:
    return f"IDENT#{kind}#{fingerprint}"


IDENTITY_SK = "IDENT"


def idempotency_pk(principal: str, key: str) -> str:
    return f"IDEMP#{principal}#{key}"


IDEMPOTENCY_SK = "IDEMP"

PROGRAM_PK = "PROGRAM"
PROGRAM_CURRENT_SK = "CURRENT"


def program_version_sk(version: int) -> str:
    return f"V#{version:010d}"


def api_key_pk(digest: str) -> str:
    return f"APIKEY#{digest}"


API_KEY_SK = "APIKEY"


def shard_of(member_id: str) -> int:
    return zlib.crc32(member_id.encode()) % DUE_SHARDS


def due_pk(day: date, member_id: str) -> str:
    """The brand-local day the member's soonest lot vests or expires."""
    return shard_key("DUE", day.isoformat(), shard_of(member_id))


def review_pk(day: str, member_id: str) -> str:
    """Members with a tier carry the local day of their next review (sparse, sharded)."""
    return f"REVIEW#{day}#{shard_of(member_id):02d}"


def shards(kind: str, value: str) -> list[str]:
    """Every shard's partition of one value (`<kind>#<value>#00` … `#15`): what a night reads."""
    return [shard_key(kind, value, shard) for shard in range(DUE_SHARDS)]


TEMPLATES_PK = "CPNTPL"


def stock_slice_pk(template_id: str, slice_: int) -> str:
    """A slice of a template's stock: a partition of its own (claims spread over slices)."""
    return f"STOCK#{template_id}#{slice_:02d}"


STOCK_SK = "S"
SEGMENTS_PK = "SEGMENT"  # the merchant's segments, sk the segment id
RFM_PK, RFM_SK = "RFM", "SAMPLE"  # the nightly RFM sample and cut points
RFM_CUTS_SK = "CUTS"  # the cut points alone: a few bytes, for who needs no profiles
CAMPAIGNS_PK = "SEGISSUE"  # coupons issued to a segment, sk the campaign id


def shared_code_pk(code: str) -> str:
    return f"SHAREDCODE#{code}"


SHARED_CODE_SK = "S"


def coupon_sk(code: str) -> str:
    return f"COUPON#{code}"


COUPON_PREFIX = "COUPON#"


def coupon_count_sk(template_id: str) -> str:
    return f"CPNCOUNT#{template_id}"


def order_coupons_sk(order_id: str) -> str:
    return f"ORDERCPN#{order_id}"


CHECKIN_PREFIX = "CHECKIN#"


def checkin_sk(day: date | str) -> str:
    """`CHECKIN#2026-11-05`; a month's days share the prefix `CHECKIN#2026-11`."""
    return f"{CHECKIN_PREFIX}{day if isinstance(day, str) else day.isoformat()}"


def merge_sk(source_id: str) -> str:
    """In the survivor's partition: the member merged into it."""
    return f"MERGED#{source_id}"


def usage_sk(day: date) -> str:
    return f"USE#{day.isoformat()}"


def once_sk(kind: str, key: str) -> str:
    return f"ONCE#{kind}#{key}"


def rate_pk(principal: str, minute: str) -> str:
    return f"RATE#{principal}#{minute}"


RATE_SK = "RATE"


def shard_key(kind: str, value: str, shard: int) -> str:
    return f"{kind}#{value}#{shard:02d}"


def birthday_pk(month_day: str, member_id: str) -> str:
    return shard_key("BDAY", month_day, shard_of(member_id))


def dormancy_pk(day: str, member_id: str) -> str:
    return shard_key("DORMANT", day, shard_of(member_id))


def expiring_pk(last_day: date, member_id: str) -> str:
    """A lot by the last local day it can be spent (gsi4, beside the members' `DUE#` days), for
    the expiry reminders: `EXPIRES#<day>#<shard>`, sk `<member id>#<lot id>`."""
    return shard_key("EXPIRES", last_day.isoformat(), shard_of(member_id))


def reminder_sk(last_day: date, days_before: int) -> str:
    return f"REMIND#{last_day.isoformat()}#{days_before:03d}"


EVENT_SHARDS = 8  # a day's events spread over 8 partitions: 8,000 writes a second, not 1,000


def events_pk(day: date, event_id: str) -> str:
    """Events by the UTC day they happened and a shard of their id (kept 30 days, then removed
    by TTL): `EVENTS#<day>#<shard>`."""
    return f"EVENTS#{day.isoformat()}#{zlib.crc32(event_id.encode()) % EVENT_SHARDS}"


def events_pks(day: date) -> list[str]:
    """Every shard of a day's events: what the feed reads, newest first across them."""
    return [f"EVENTS#{day.isoformat()}#{shard}" for shard in range(EVENT_SHARDS)]


WEBHOOKS_PK = "WEBHOOKS"
WEBHOOK_PREFIX = "WH#"
DELIVERY_PREFIX = "DLV#"


def webhook_sk(webhook_id: str) -> str:
    return f"{WEBHOOK_PREFIX}{webhook_id}"


DELIVERY_SHARDS = 8  # an endpoint's deliveries over 8 partitions: no endpoint is one hot one


def deliveries_pk(webhook_id: str, delivery_id: str) -> str:
    """`WH#<endpoint>#<shard of the delivery id>`."""
    shard = zlib.crc32(delivery_id.encode()) % DELIVERY_SHARDS
    return f"{WEBHOOK_PREFIX}{webhook_id}#{shard}"


def all_deliveries_pks(webhook_id: str) -> list[str]:
    return [f"{WEBHOOK_PREFIX}{webhook_id}#{shard}" for shard in range(DELIVERY_SHARDS)]


def delivery_sk(delivery_id: str) -> str:
    return f"{DELIVERY_PREFIX}{delivery_id}"


# Stored value, in the member's partition: the wallet at `W`, its entries at `WALLET#<seq>`,
# payments out of it at `WPAY#<order id>`; a top-up at its own `TOPUP#<payment id>` (a payment
# id is the brand's, once whatever the member).
WALLET_SK = "W"
WALLET_ENTRY_PREFIX = "WALLET#"


def wallet_entry_sk(seq: int) -> str:
    return f"{WALLET_ENTRY_PREFIX}{seq:012d}"


def wallet_payment_sk(order_id: str) -> str:
    return f"WPAY#{order_id}"


def topup_pk(payment_id: str) -> str:
    return f"TOPUP#{payment_id}"


TOPUP_SK = "TOPUP"

# The brand's running totals (points and stored value outstanding): `TOTALS`, sk the slot, and
# the figures below, ADDed to by the stream consumer alone (never in a member's transaction), a
# slot per stream shard (`slot_of`), so consumers of two shards seldom meet on one item; how far
# it folded each stream shard: `AGGPOS`, sk the shard id.
TOTALS_PK = "TOTALS"
AGG_POSITION_PK = "AGGPOS"


def slot_of(shard_id: str) -> str:
    return f"{zlib.crc32(shard_id.encode()) % DUE_SHARDS:02d}"


def totals_sk(member_id: str) -> str:
    return f"{shard_of(member_id):02d}"


def all_totals_sks() -> list[str]:
    return [f"{shard:02d}" for shard in range(DUE_SHARDS)]


# The merchant's figures (`kpis`): a day's flows and marks, standing counts, coupons by template;
# each sharded by member, so a busy day never makes one hot item.
KPI_PK = "KPI"
KPI_COUNT_PK = "KPICOUNT"
KPI_COUPON_PK = "KPICPN"
KPI_SNAPSHOT_PK = "KPISNAP"  # sk the day: the standing figures as it ended (ratios over time)
KPI_SALES_PK = "KPISALES"  # sk the day: the storefront's report of the day's every sale


def kpi_day_sk(day: str, member_id: str) -> str:
    return f"{day}#{shard_of(member_id):02d}"


def kpi_count_sk(name: str, member_id: str) -> str:
    return f"{name}#{shard_of(member_id):02d}"


def kpi_coupon_sk(day: str, template_id: str, member_id: str) -> str:
    return f"{day}#{template_id}#{shard_of(member_id):02d}"
