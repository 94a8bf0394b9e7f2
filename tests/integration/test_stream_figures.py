"""The brand's figures kept from the stream (issue 33): exactly once whatever the stream does —
a batch handed over again, whole or split, a poison record, a consumer that dies after keeping
the figures and before publishing — and read at a watermark, so lag never reads as a mismatch.
"""

import pytest

from chalicelib.contract.wallet import TopupRequest
from chalicelib.events.publish import NotPublished
from chalicelib.jobs.stream import consume
from chalicelib.store import aggregates as aggregate_store
from tests.helpers import buy, enroll, refund
from tests.presented import kpis, reconciliation, wallet
from tests.streams import Stream

SHARD = "shardId-00000001-test"


@pytest.fixture
def stream(brand):
    return Stream(brand.settings.table_name)


def _figures(brand):
    today = kpis.figures(brand, None, None, "day")
    totals = brand.totals.read()
    return (
        totals.points_balance,
        totals.wallet_principal,
        today.totals.orders,
        today.totals.sales,
        today.totals.refunds,
        today.now.members,
    )


def _history(brand):
    a, b = enroll(brand, "13800138000"), enroll(brand, "13800138001")
    buy(brand, a, "o-1", 10_000)
    buy(brand, b, "o-2", 5_000)
    refund(brand, a, "o-1", 2_500)
    wallet.top_up(brand, b, TopupRequest(payment_id="p-1", amount=20_000), None)
    return a, b


EXPECTED = (100 - 25 + 50, 20_000, 2, 15_000, 1, 2)


def test_a_batch_handed_over_again__whole_or_split__counts_once(brand, stream):
    _history(brand)
    records = stream.read()
    consume(brand, records, SHARD)
    assert _figures(brand) == EXPECTED
    consume(brand, records, SHARD)  # the same batch again
    middle = len(records) // 2
    consume(brand, records[:middle], SHARD)  # bisected after an error: both halves again
    consume(brand, records[middle:], SHARD)
    consume(brand, list(reversed(records)), SHARD)  # out of order, as a retry may be
    assert _figures(brand) == EXPECTED


def test_the_two_halves_of_a_batch__in_order__count_as_the_whole(brand, stream):
    _history(brand)
    records = stream.read()
    middle = len(records) // 2
    consume(brand, records[:middle], SHARD)
    consume(brand, records[middle:], SHARD)
    assert _figures(brand) == EXPECTED


def test_a_poison_record__is_parked_and_the_rest_counted(brand, stream):
    _history(brand)
    records = stream.read()
    poison = {"eventName": "INSERT", "dynamodb": {"NewImage": {"x": {"S": "?"}}}}
    report = consume(brand, [records[0], poison, *records[1:]], SHARD)
    assert report.parked == 1
    assert _figures(brand) == EXPECTED


def test_a_consumer_that_dies_after_the_figures_and_before_publishing__counts_once(
    brand, stream, monkeypatch
):
    """The figures and the consumer's place are one transaction: there is no moment where one
    is written and the other not; what comes after (publishing) may fail and the batch come
    again."""
    _history(brand)
    records = stream.read()

    def down(entries):
        raise NotPublished("the bus is down")

    from chalicelib.events import publish

    monkeypatch.setattr(publish, "_publish", lambda *args: down(args))
    with pytest.raises(NotPublished):
        consume(brand, records, SHARD)
    monkeypatch.undo()
    consume(brand, records, SHARD)  # Lambda hands the batch over again
    assert _figures(brand) == EXPECTED


def test_a_batch_whose_figures_do_not_fit_one_transaction__is_kept_in_chunks(
    brand, stream, monkeypatch
):
    """Each chunk with its place: a consumer killed between two chunks goes on after the
    first when the batch comes again."""
    monkeypatch.setattr(aggregate_store, "PER_TRANSACTION", 3)
    from chalicelib.aggregates import figures

    monkeypatch.setattr(figures, "PER_TRANSACTION", 3)
    _history(brand)
    records = stream.read()
    commits = []
    from chalicelib.store.unit_of_work import UnitOfWork

    original = UnitOfWork.commit

    def commit_then_die(self):
        original(self)
        commits.append(len(self))
        if len(commits) == 2:
            raise RuntimeError("killed")  # as if the consumer died right after

    monkeypatch.setattr(UnitOfWork, "commit", commit_then_die)
    with pytest.raises(RuntimeError):
        consume(brand, records, SHARD)
    monkeypatch.setattr(UnitOfWork, "commit", original)
    assert len(commits) >= 2 and max(commits) <= 4  # three figures and the place a chunk
    consume(brand, records, SHARD)
    assert _figures(brand) == EXPECTED


def test_two_shards__each_counted_once_into_their_own_slots(brand, stream):
    a, _ = _history(brand)
    records = stream.read()
    member_records = [r for r in records if a in str(r)]
    other = [r for r in records if r not in member_records]
    consume(brand, member_records, "shardId-a")
    consume(brand, other, "shardId-b")
    consume(brand, other, "shardId-b")
    assert _figures(brand) == EXPECTED


def test_the_books_compare_totals_and_members_at_the_watermark__lag_is_no_mismatch(
    brand, stream, clock
):
    a, b = _history(brand)
    consume(brand, stream.read(), SHARD)
    assert reconciliation.brand_page(brand, 100, None).ok
    clock.advance(seconds=5)
    buy(brand, a, "o-3", 40_000)  # not yet folded: the totals are behind the members
    wallet.top_up(brand, b, TopupRequest(payment_id="p-2", amount=1_000), None)
    books = reconciliation.brand_page(brand, 100, None)
    assert books.ok, books.mismatches
    assert books.totals is not None and books.totals.points_outstanding == EXPECTED[0]
    consume(brand, stream.read(), SHARD)  # caught up
    books = reconciliation.brand_page(brand, 100, None)
    assert books.ok and books.totals.points_outstanding == EXPECTED[0] + 400


def test_a_total_that_is_wrong__is_still_found(brand, stream):
    from chalicelib.domain.guards import Guard, Rule
    from chalicelib.store.models import TotalsItem

    _history(brand)
    consume(brand, stream.read(), SHARD)
    uow = brand.uow()
    uow.add(Guard(Rule.TOTALS), TotalsItem(pk="TOTALS", sk="03"), {"points_balance": 7})
    uow.commit()
    books = reconciliation.brand_page(brand, 100, None)
    assert not books.ok
    assert [m.check for m in books.mismatches] == ["totals.points_balance"]


def test_liability_says_how_fresh_it_is(brand, stream, clock):
    _history(brand)
    assert reconciliation.liability(brand).lag_seconds is None  # nothing folded yet
    consume(brand, stream.read(), SHARD)
    clock.advance(seconds=3)
    fresh = reconciliation.liability(brand)
    assert fresh.lag_seconds == 3.0 and fresh.points_outstanding == EXPECTED[0]
