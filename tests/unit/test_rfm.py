"""RFM's pure rules: the window in whole weeks, the quintile cut points and scores, the
segments."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import rfm

START = date(2025, 1, 1)


@given(
    st.lists(st.tuples(st.integers(0, 800), st.integers(1, 50_000)), max_size=200),
    st.integers(7, 730),
)
def test_the_window_is_whole_weeks_and_the_buckets_stay_few(purchases, window):
    buckets: rfm.Buckets = {}
    purchases = sorted(purchases)
    for offset, amount in purchases:
        day = START + timedelta(days=offset)
        buckets = rfm.record(buckets, day, orders=1, amount=amount, today=day, window_days=window)
    today = START + timedelta(days=800)
    assert len(buckets) <= window // 7 + 2
    found = rfm.values(buckets, None, today, window)
    first = date.fromisoformat(rfm.first_week(today, window))
    assert today - timedelta(days=window + 6) <= first <= today - timedelta(days=window - 1)
    inside = [(o, a) for o, a in purchases if START + timedelta(days=o) >= first]
    assert found.frequency == len(inside) and found.monetary == sum(a for _, a in inside)


def test_recency_counts_the_last_purchase_in_the_window_only():
    today = date(2026, 12, 1)
    assert rfm.values({}, "2026-11-28", today, 365).recency_days == 3
    assert rfm.values({}, "2025-11-30", today, 365).recency_days is None
    assert rfm.values({}, None, today, 365) == rfm.Values(None, 0, 0)


@given(st.lists(st.integers(0, 1000), min_size=1, max_size=300))
def test_scores_are_quintiles_and_grow_with_the_value(sample):
    cuts = rfm.cuts(rfm.Values(v, v, v) for v in sample)
    assert cuts.frequency == sorted(cuts.frequency)
    scored = sorted(sample)
    scores = [rfm.scores(rfm.Values(v, v, v), cuts) for v in scored]
    assert all(1 <= s.r <= 5 and 1 <= s.f <= 5 and 1 <= s.m <= 5 for s in scores)
    assert [s.f for s in scores] == sorted(s.f for s in scores)  # more often: never lower
    assert [s.r for s in scores] == sorted((s.r for s in scores), reverse=True)  # older: lower
    if len(set(sample)) == len(sample) and len(sample) >= 5:
        assert {s.f for s in scores} == {1, 2, 3, 4, 5}  # distinct values fill every fifth


def test_the_classic_segments():
    def seg(r, f, m=3):
        return rfm.segment(rfm.Scores(r, f, m))

    assert (seg(5, 5), seg(3, 3), seg(5, 1), seg(4, 2)) == (
        "champions",
        "loyal",
        "new",
        "promising",
    )
    assert (seg(1, 5, 5), seg(2, 4), seg(3, 1), seg(1, 1)) == (
        "cannot_lose",
        "at_risk",
        "needs_attention",
        "hibernating",
    )
    assert rfm.segment(None) == "prospect"
    assert set(rfm.SEGMENT_NAMES) == {code for code, _, _ in rfm.SEGMENTS}
