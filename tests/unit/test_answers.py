"""Stored answers: compressed with a frozen dictionary, read back byte for byte."""

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.store import answers

# A stored answer must read back for as long as it is kept: a dictionary is never edited.
FROZEN = {1: "346e736ca1bf44813a9ad42935a9825ad52bf52543bf42a751b465c1d24f7f86"}

PURCHASE = (
    '{"order_id":"o-1","points_earned":128,"points_status":"vested","vests_at":null,'
    '"expires_at":"2027-03-01T16:00:00Z","expires_on":"2027-03-01","breakdown":[{"rule":"base",'
    '"description":"1 pt per 1.00 on 128.00","points":"128"}],"program_version":1,"member":'
    '{"member_id":"mem_01KJKRV5G01NFTGNJQYY99ZTJE","points_balance":128,"points_pending":0,'
    '"points_debt":0,"lifetime_points":128,"tier":null,"phone":"+86 138****8000","email":null,'
    '"external_id":null,"birthday":null,"marketing_consent":false,"channel":null,'
    '"created_at":"2026-03-01T04:00:00Z","updated_at":"2026-03-01T04:00:00Z","growth_total":128,'
    '"tier_since":null,"tier_benefits":null,"tier_progress":null,'
    '"last_active_at":"2026-03-01T04:00:00Z","lifecycle_state":"active"},"growth_earned":128,'
    '"tier_changed":null,"coupons_issued":[],"coupons_skipped":[]}'
)


def test_every_dictionary_ever_written_is_still_there_unchanged():
    for version, digest in FROZEN.items():
        assert hashlib.sha256(answers.DICTIONARIES[version]).hexdigest() == digest, version
    assert answers.CURRENT in FROZEN


def test_a_purchase_answer__packs_to_about_a_quarter_and_reads_back_exactly():
    packed = answers.pack(PURCHASE)
    assert packed[0] == answers.CURRENT
    assert len(packed) < len(PURCHASE) * 0.3
    assert answers.unpack(packed) == PURCHASE


@given(st.text())
def test_any_text__reads_back_exactly(text):
    assert answers.unpack(answers.pack(text)) == text


def test_an_unknown_dictionary__is_refused_not_misread():
    import pytest

    with pytest.raises(ValueError, match="dictionary 9"):
        answers.unpack(bytes([9]) + answers.pack("{}")[1:])
