"""Events from the table's own stream: one per fact, published once, whatever is retried.

Real stream records (moto's DynamoDB stream), a real EventBridge bus with a rule into an SQS
queue that captures what was published, and an SQS dead-letter queue, all at the botocore
boundary. DynamoDB Local has the stream but no EventBridge, so these run on moto only."""

import json
from datetime import timedelta

import boto3
import pytest

from chalicelib.contract.checkout import PurchaseRequest
from chalicelib.contract.engagement import CheckinRequest
from chalicelib.contract.events import EventOut
from chalicelib.contract.members import EnrollRequest
from chalicelib.domain.program import Checkin, RiskSignals
from chalicelib.events import catalogue, reading
from chalicelib.events.publish import NotPublished
from chalicelib.services.shared.writes import Idem
from chalicelib.store.bus import DeadLetters, EventBus
from tests.conftest import ENGINE, set_program
from tests.helpers import buy, enroll, redeem, refund
from tests.presented import checkins, members, purchases
from tests.streams import Stream

pytestmark = pytest.mark.skipif(ENGINE != "moto", reason="EventBridge and SQS are moto's here")


@pytest.fixture
def bus(brand):
    """A bus whose rule sends every event to a queue the test reads."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name="loyalty-demo")
    queue = sqs.create_queue(QueueName="captured")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="all",
        EventBusName="loyalty-demo",
        EventPattern=json.dumps({"source": ["loyalty.demo"]}),
    )
    events.put_targets(Rule="all", EventBusName="loyalty-demo", Targets=[{"Id": "q", "Arn": arn}])
    brand.bus = EventBus("loyalty-demo", "loyalty.demo", "us-east-1")
    dlq = sqs.create_queue(QueueName="stream-dlq")["QueueUrl"]
    brand.dead_letters = DeadLetters(dlq, "us-east-1")

    def captured() -> list[dict]:
        found = []
        while True:
            got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return found
            for message in got:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

    def parked() -> list[dict]:
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    return captured, parked


def consume(brand, records, shard_id="shardId-test"):
    """The stream consumer the Lambda runs (figures across members, then events)."""
    from chalicelib.jobs.stream import consume as consumer

    return consumer(brand, records, shard_id)


def test_each_fact_makes_one_event__published_once_even_when_the_batch_comes_again(brand, bus):
    captured, _ = bus
    stream = Stream(brand.settings.table_name)
    stream.read()  # the program and templates the fixture wrote
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 10_000)
    redeem(brand, member_id, "o-2", 100)
    buy(brand, member_id, "o-2", 5_000)
    refund(brand, member_id, "o-2", 5_000)
    records = stream.read()
    report = consume(brand, records)
    published = captured()
    kinds = sorted(p["detail-type"] for p in published)
    assert kinds == sorted(
        [
            "member.enrolled",
            "points.earned",
            "points.redeemed",
            "points.earned",
            "points.clawed_back",
            "points.returned",
        ]
    )
    assert report.published == len(published) == len({p["detail"]["id"] for p in published})
    for event in published:  # each as the catalogue (AsyncAPI) describes its type
        catalogue.validate(EventOut.model_validate(event["detail"]))
    envelope = next(p["detail"] for p in published if p["detail-type"] == "member.enrolled")
    assert set(envelope) == {"id", "type", "timestamp", "brand", "member_id", "data"}
    assert envelope["brand"] == "demo" and envelope["member_id"] == member_id
    assert envelope["data"]["phone"].count("*") >= 4  # masked, never the raw number
    assert "13800138000" not in json.dumps(published)
    assert envelope["data"]["summary"]["zh"] == "欢迎入会"
    earned = next(p["detail"] for p in published if p["detail"]["data"].get("order_id") == "o-1")
    assert earned["data"]["points"] == 100 and earned["data"]["balance_after"] == 100
    # the stream delivers the same batch again: nothing is published twice
    again = consume(brand, records)
    assert again.published == 0 and again.already == report.published and captured() == []


def test_a_retried_purchase_and_a_replay_with_a_new_key__make_no_new_event(brand, bus):
    # moto's stream kept a cancelled transaction's records until loyalty_tools.local.moto_streams
    captured, _ = bus
    stream = Stream(brand.settings.table_name)
    member_id = enroll(brand)
    stream.read()
    request = PurchaseRequest(order_id="o-1", amount=10_000, currency="CNY")
    purchases.purchase(brand, member_id, request, Idem("k", "first", "h1"))
    purchases.purchase(brand, member_id, request, Idem("k", "first", "h1"))  # retried
    purchases.purchase(brand, member_id, request, Idem("k", "second", "h1"))  # new key
    purchases.purchase(brand, member_id, request, None)
    consume(brand, stream.read())
    assert [p["detail-type"] for p in captured()] == ["points.earned"]


def test_a_poison_record_is_parked_with_its_reason_and_the_rest_goes_on(brand, bus):
    captured, parked = bus
    stream = Stream(brand.settings.table_name)
    stream.read()
    enroll(brand)
    records = stream.read()
    poison = {"eventName": "INSERT", "dynamodb": {"NewImage": {"pk": {"S": "x"}}}}
    report = consume(brand, [poison, *records])
    assert report.parked == 1 and [p["detail-type"] for p in captured()] == ["member.enrolled"]
    (letter,) = parked()
    assert letter["record"]["dynamodb"]["NewImage"] == {"pk": {"S": "x"}} and letter["reason"]


def test_put_events_partial_failure__only_the_failed_entries_are_sent_again(brand, bus):
    captured, _ = bus
    stream = Stream(brand.settings.table_name)
    stream.read()
    member_id = enroll(brand)
    buy(brand, member_id, "o-1", 10_000)
    records = stream.read()
    real = brand.bus.client()
    sent: list[list[str]] = []

    class FlakyOnce:
        def put_events(self, Entries):
            sent.append([e["DetailType"] for e in Entries])
            answer = real.put_events(Entries=Entries)
            if len(sent) == 1:  # the first call: the second entry is refused
                answer["Entries"][1] = {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
            return answer

    brand.bus._client = FlakyOnce()
    report = consume(brand, records)
    assert sent == [["member.enrolled", "points.earned"], ["points.earned"]]
    assert report.retried == 1 and report.published == 2
    kinds = [p["detail-type"] for p in captured()]
    # the refused entry was really delivered once more by moto's bus, and only that one
    assert sorted(kinds) == ["member.enrolled", "points.earned", "points.earned"]


def test_events_that_never_get_on_the_bus__fail_the_batch_for_the_stream_to_retry(brand, bus):
    stream = Stream(brand.settings.table_name)
    stream.read()
    enroll(brand)
    records = stream.read()

    class Down:
        def put_events(self, Entries):
            return {"Entries": [{"ErrorCode": "ThrottlingException"} for _ in Entries]}

    brand.bus._client = Down()
    with pytest.raises(NotPublished):
        consume(brand, records)
    brand.bus._client = None
    assert consume(brand, records).published == 1  # kept, not published: the retry sends it


def test_events_are_pulled_newest_first_by_type_and_member(brand, bus, clock):
    stream = Stream(brand.settings.table_name)
    stream.read()
    first = enroll(brand, phone="13800138000")
    clock.advance(days=1)
    second = enroll(brand, phone="13900139000")
    clock.advance(minutes=1)
    buy(brand, second, "o-1", 10_000)
    consume(brand, stream.read())
    from chalicelib.contract.events import EventQuery

    every = reading.page(brand.events, EventQuery(), clock.now)
    assert [e.type for e in every.events] == ["points.earned", "member.enrolled", "member.enrolled"]
    assert [e.member_id for e in every.events] == [second, second, first]
    mine = reading.page(brand.events, EventQuery(member_id=first), clock.now)
    assert [e.type for e in mine.events] == ["member.enrolled"]
    paged = reading.page(brand.events, EventQuery(limit=1, type="member.enrolled"), clock.now)
    assert paged.events[0].member_id == second and paged.next_cursor
    rest = reading.page(
        brand.events,
        EventQuery(limit=5, type="member.enrolled", cursor=paged.next_cursor),
        clock.now,
    )
    assert [e.member_id for e in rest.events] == [first] and rest.next_cursor is None
    assert reading.get(brand.events, every.events[0].id) == every.events[0]
    later = clock.now + timedelta(days=40)
    assert reading.page(brand.events, EventQuery(), later).events == []  # kept 30 days


@pytest.mark.parametrize("coupon", [None, "miss-you"])
def test_a_member_found_idle_is_dormant_once__and_reactivated_by_a_purchase(
    brand, bus, clock, coupon
):
    from chalicelib.domain.program import Lifecycle
    from tests.conftest import set_program
    from tests.helpers import add_templates, nightly, template

    captured, _ = bus
    if coupon:
        add_templates(brand, template(coupon))
    set_program(brand, lifecycle=Lifecycle(dormant_after_days=30, winback_coupon=coupon))
    stream = Stream(brand.settings.table_name)
    member_id = enroll(brand)
    stream.read()
    clock.advance(days=31)
    nightly(brand, "dormancy", clock.now)
    nightly(brand, "dormancy", clock.now, days_back=3)  # a re-run of the same nights
    consume(brand, stream.read())
    kinds = sorted(p["detail-type"] for p in captured())
    assert kinds == sorted(["member.dormant"] + (["coupon.issued"] if coupon else []))
    buy(brand, member_id, "o-1", 10_000)
    consume(brand, stream.read())
    back = [p["detail"] for p in captured() if p["detail-type"] == "member.reactivated"]
    assert len(back) == 1 and back[0]["data"]["dormant_since"] == "2026-03-31"
    catalogue.validate(EventOut.model_validate(back[0]))
    buy(brand, member_id, "o-2", 10_000)  # active already: no second reactivation
    consume(brand, stream.read())
    assert "member.reactivated" not in [p["detail-type"] for p in captured()]


def test_every_wallet_change_is_one_event__and_a_mismatch_the_night_finds_is_published(
    brand, bus, clock
):
    from chalicelib.contract.wallet import FreezeRequest, WalletRefundRequest, WithdrawalRequest
    from chalicelib.jobs.books import RECONCILE
    from chalicelib.jobs.runner import run
    from chalicelib.store import keys
    from chalicelib.store.models import WalletItem
    from tests.helpers import pay, top_up
    from tests.presented import wallet

    captured, _ = bus
    stream = Stream(brand.settings.table_name)
    member_id = enroll(brand)
    stream.read()
    top_up(brand, member_id, "pay-1", 20_000)
    pay(brand, member_id, "o-1", 5_000)
    wallet.refund(brand, member_id, WalletRefundRequest(order_id="o-1", amount=1_000), None)
    wallet.withdraw(brand, member_id, WithdrawalRequest(payment_id="pay-1", amount=100), None)
    wallet.set_frozen(brand, member_id, True, FreezeRequest(reason="check"), None)
    consume(brand, stream.read())
    published = [p["detail"] for p in captured()]
    assert [e["type"] for e in published] == [
        "wallet.topped_up",
        "wallet.charged",
        "wallet.refunded",
        "wallet.withdrawn",
        "wallet.frozen",
    ]
    for event in published:
        catalogue.validate(EventOut.model_validate(event))
    charged = published[1]["data"]
    assert (charged["amount"], charged["balance_after"], charged["reference"]) == (
        -5_000,
        15_000,
        "o-1",
    )
    assert charged["summary"] == {"en": "Paid with stored value", "zh": "储值消费"}
    # someone edits the wallet by hand: the night's reconciliation finds it, once
    item = WalletItem.get(keys.member_pk(member_id), keys.WALLET_SK)
    item.update(actions=[WalletItem.principal.set(int(item.principal) + 1)])
    clock.advance(days=1)
    day = (clock.now - timedelta(days=1)).astimezone(brand.programs.require().zone).date()
    record, _ = run(brand, RECONCILE, day, now=clock.now)
    assert record.counts["mismatched_members"] == 1
    again, _ = run(brand, RECONCILE, day, now=clock.now, dry_run=True)
    assert again.counts["mismatched_members"] == 1  # still wrong; kept once for the night
    consume(brand, stream.read())
    mismatch = [p["detail"] for p in captured() if p["detail-type"] == "books.mismatch"]
    assert len(mismatch) == 1 and mismatch[0]["member_id"] == member_id
    checks = {m["check"] for m in mismatch[0]["data"]["mismatches"]}
    assert "wallet.principal_is_entries" in checks
    catalogue.validate(EventOut.model_validate(mismatch[0]))


def test_a_risk_signal_reached_is_one_risk_signal_event_and_a_check_in_earns_points(brand, bus):
    captured, _ = bus
    set_program(
        brand,
        risk=RiskSignals(enrollments_per_device=2),
        checkin=Checkin(enabled=True, points=5),
    )
    stream = Stream(brand.settings.table_name)
    stream.read()
    for n in range(3):
        members.enroll(brand, EnrollRequest(phone=f"1380013800{n}", device_id="d-1"), None)
    member_id = enroll(brand, "13800138009")
    checkins.check_in(brand, member_id, CheckinRequest(), None)
    consume(brand, stream.read())  # counts the device, keeps the signal
    consume(brand, stream.read())  # the signal's own record: risk.signal
    published = [p["detail"] for p in captured()]
    (signal,) = [e for e in published if e["type"] == "risk.signal"]
    catalogue.validate(EventOut.model_validate(signal))
    assert signal["data"]["signal"] == "enrollments_per_device"
    assert signal["data"]["subject"].startswith("device:")
    (earned,) = [e for e in published if e["type"] == "points.earned"]
    assert earned["data"]["ledger_kind"] == "checkin" and earned["data"]["points"] == 5


def test_a_merge_is_one_member_merged_event__its_moved_coupons_are_not_issued_again(brand, bus):
    from chalicelib.contract.coupons import IssueRequest
    from chalicelib.contract.merges import MergeRequest
    from tests.helpers import add_templates, template
    from tests.presented import coupon_issue, merges

    captured, _ = bus
    add_templates(brand, template("gift"))
    survivor, merged = enroll(brand, "13800138000"), enroll(brand, "13800138001")
    buy(brand, merged, "o-1", 10_000)
    coupon_issue.issue(brand, "gift", IssueRequest(member_id=merged), None)
    stream = Stream(brand.settings.table_name)
    stream.read()
    merges.merge_members(brand, survivor, MergeRequest(from_member_id=merged), None)
    consume(brand, stream.read())
    published = [p["detail"] for p in captured()]
    assert [e["type"] for e in published] == ["member.merged"]  # no coupon.issued, no points.*
    (event,) = published
    catalogue.validate(EventOut.model_validate(event))
    assert event["member_id"] == survivor and event["data"]["from_member_id"] == merged
    assert event["data"]["moved"]["points"] == 100 and event["data"]["moved"]["records"] == 3
    assert event["data"]["summary"]["zh"] == "会员账户已合并"


def test_every_event_bears_its_fact_s_own_time__to_the_microsecond(brand, bus, clock):
    """Issue 32: a release was stamped with the stream record's minute-rounded time, so the
    newest-first feed showed it before the redemption it undid."""
    from chalicelib.contract.coupons import CouponRedeemRequest, CouponReleaseRequest, IssueRequest
    from tests.helpers import add_templates, template
    from tests.presented import coupon_checkout, coupon_issue

    captured, _ = bus
    add_templates(brand, template("gift"))
    member_id = enroll(brand)
    issued = coupon_issue.issue(brand, "gift", IssueRequest(member_id=member_id), None)
    code = json.loads(issued.body)["coupon"]["code"]
    stream = Stream(brand.settings.table_name)
    stream.read()
    redeemed_at = clock.advance(seconds=57, microseconds=123_456)
    coupon_checkout.redeem(brand, member_id, code, CouponRedeemRequest(order_id="o-1"), "k", None)
    released_at = clock.advance(seconds=2, microseconds=500_001)
    coupon_checkout.release(brand, member_id, code, CouponReleaseRequest(order_id="o-1"), "k", None)
    consume(brand, stream.read())
    published = {p["detail"]["type"]: p["detail"] for p in captured()}
    assert published["coupon.redeemed"]["timestamp"] == redeemed_at.isoformat().replace(
        "+00:00", "Z"
    )
    assert published["coupon.released"]["timestamp"] == released_at.isoformat().replace(
        "+00:00", "Z"
    )
    from chalicelib.contract.events import EventQuery

    feed = reading.page(brand.events, EventQuery(member_id=member_id), clock.now).events
    assert [e.type for e in feed][:2] == ["coupon.released", "coupon.redeemed"]
