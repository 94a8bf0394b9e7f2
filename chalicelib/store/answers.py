"""How a first answer is kept: raw DEFLATE with a preset dictionary of the answers' own field
names, so a purchase's 800-byte JSON answer takes about 220 bytes instead of 420 (plain zlib) and
the order that keeps it stays under the 1 KB that one write unit covers.

The first byte names the dictionary. A stored answer must read back byte for byte for as long as
it is kept, so a dictionary is never edited: a better one is added under the next number, and
`unpack` keeps reading every number it ever wrote (a test pins each dictionary's hash).
"""

from __future__ import annotations

import zlib

# Version 1 (frozen; the field names of the v1 answers, most frequent last).
DICTIONARY_V1 = (
    b'"member_id":null,"points_balance":null,"points_pending":null,"points_debt":null,'
    b'"lifetime_points":null,"tier":null,"phone":null,"email":null,"external_id":null,'
    b'"birthday":null,"marketing_consent":null,"channel":null,"created_at":null,'
    b'"updated_at":null,"growth_total":null,"tier_since":null,"tier_benefits":null,'
    b'"tier_progress":null,"last_active_at":null,"lifecycle_state":null,'
    b'"order_id":null,"points_earned":null,"points_status":null,"vests_at":null,'
    b'"expires_at":null,"expires_on":null,"breakdown":null,"program_version":null,'
    b'"member":null,"growth_earned":null,"tier_changed":null,"coupons_issued":null,'
    b'"coupons_skipped":null,"points_redeemed":null,"discount_amount":null,'
    b'"currency":null,"refund_amount":null,"refunded_total":null,'
    b'"points_clawed_back":null,"points_returned":null,"coupons_returned":null,'
    b'"points_spent":null,"coupon":null,"code":null,"template_id":null,"name":null,'
    b'"kind":null,"status":null,"amount_off":null,"percent_off":null,'
    b'"max_discount":null,"min_spend":null,"categories":null,"skus":null,'
    b'"stackable":null,"valid_from":null,"valid_until":null,"source":null,'
    b'"from_tier":null,"to_tier":null,"rule":null,"description":null,"points":null,'
    b'"metric":null,"value":null,"window_start":null,"window_end":null,'
    b'"next_tier":null,"missing":null,"reason":null,"activity":null,'
    b'"activity_id":null,"free_shipping":null,"vested","pending","none","active",'
    b'"dormant","base","pt per","T00:00:00Z",false,true,[],"mem_'
)

DICTIONARIES = {1: DICTIONARY_V1}
CURRENT = 1


def pack(text: str) -> bytes:
    """`text` compressed with the current dictionary, behind the byte that names it."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=DICTIONARIES[CURRENT])
    return bytes([CURRENT]) + packer.compress(text.encode()) + packer.flush()


def unpack(data: bytes) -> str:
    version, packed = data[0], data[1:]
    if version not in DICTIONARIES:
        raise ValueError(f"stored answer packed with unknown dictionary {version}")
    unpacker = zlib.decompressobj(-15, zdict=DICTIONARIES[version])
    return (unpacker.decompress(packed) + unpacker.flush()).decode()
