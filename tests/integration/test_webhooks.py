"""Webhooks, signed per Standard Webhooks 1.0, to a real receiver on 127.0.0.1.

The events come from the table's real stream records (moto's stream), deliveries go through the
process's own queue (the one `make dev` uses; in AWS it is SQS with the same messages), and each
delivery is checked with the spec's reference library, `standardwebhooks`."""

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from msgspec.structs import replace
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from chalicelib.contract.webhooks import DeliveryQuery, WebhookCreate, WebhookUpdate
from chalicelib.domain.errors import UrlNotAllowed, ValidationFailed
from chalicelib.domain.webhooks import RETRY_STEPS
from chalicelib.events.publish import handle
from chalicelib.services.shared.writes import Idem
from chalicelib.store.delivery_queue import LocalDeliveries
from chalicelib.store.models import IdempotencyItem, Item, WebhookItem
from chalicelib.webhooks.delivery import deliver, fan_out
from chalicelib.webhooks.sender import HttpSender
from tests.conftest import ENGINE
from tests.helpers import buy, enroll
from tests.npm import installed
from tests.presented import webhooks
from tests.streams import Stream

pytestmark = pytest.mark.skipif(ENGINE != "moto", reason="reads moto's stream in process")


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers as told: a status, or too slowly."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], str]] = []
        self.answer = 204
        self.delay = 0.0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.got.append((dict(self.headers.items()), body))
                time.sleep(receiver.delay)
                self.send_response(receiver.answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?brand=demo"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def hooks(brand, clock):
    """The brand, on the real clock (receivers check the signed timestamp against theirs), with
    loopback receivers allowed as when trying locally, and a queue the test drains by hand."""
    clock.now = datetime.now(UTC).replace(microsecond=0)
    brand.sender = HttpSender(allow_loopback=True, timeout=1.0)
    brand.delivery_queue = LocalDeliveries(clock)
    brand.draw = lambda: 1.0  # the top of each jitter window: the waits are the steps
    return brand


def stream_to_deliveries(brand, stream: Stream):
    return handle(
        stream.read(),
        brand="demo",
        events=brand.events,
        bus=brand.bus,
        dead_letters=brand.dead_letters,
        deliveries=lambda events: fan_out(
            events, webhooks=brand.webhooks, queue=brand.delivery_queue, now=brand.clock()
        ),
    )


def run_due(brand, until: datetime | None = None) -> list[str]:
    outcomes = []
    for queued in brand.delivery_queue.due(until):
        outcomes.append(
            deliver(
                queued,
                webhooks=brand.webhooks,
                events=brand.events,
                sender=brand.sender,
                queue=brand.delivery_queue,
                clock=brand.clock,
                draw=brand.draw,
                brand_key=brand.pii_key,
            )
        )
    return outcomes


def create(brand, url: str, events=("*",)) -> dict:
    answer = webhooks.create(brand, WebhookCreate(url=url, events=list(events)), None)
    return json.loads(answer.body)


def test_deliveries_verify_with_the_reference_library__one_per_event(hooks, receiver):
    stream = Stream(hooks.settings.table_name)
    stream.read()
    made = create(hooks, receiver.url, ["member.enrolled", "points.earned"])
    assert made["secret"].startswith("whsec_") and len(made["secret"]) == 6 + 44
    member_id = enroll(hooks)
    buy(hooks, member_id, "o-1", 10_000)
    report = stream_to_deliveries(hooks, stream)
    assert report.deliveries == 2
    assert run_due(hooks) == ["delivered", "delivered"]
    types = []
    for headers, body in receiver.got:
        payload = Webhook(made["secret"]).verify(body, headers)
        assert headers["webhook-id"] == payload["id"]
        assert int(headers["webhook-timestamp"]) == int(hooks.clock().timestamp())
        types.append(payload["type"])
    assert sorted(types) == ["member.enrolled", "points.earned"]
    with pytest.raises(WebhookVerificationError):  # a wrong secret does not verify
        Webhook("whsec_" + "A" * 43 + "=").verify(receiver.got[0][1], receiver.got[0][0])
    # the same stream records again, the same queue messages again: nothing is sent twice
    stream.iterators = Stream(hooks.settings.table_name).iterators  # from the start again
    assert stream_to_deliveries(hooks, stream).deliveries == 0
    assert run_due(hooks) == [] and len(receiver.got) == 2
    page = webhooks.deliveries(hooks, made["webhook_id"], DeliveryQuery())
    assert [d.status for d in page.deliveries] == ["delivered", "delivered"]
    assert {d.event_id for d in page.deliveries} == {h["webhook-id"] for h, _ in receiver.got}


def test_a_duplicate_queue_message_is_sent_once(hooks, receiver):
    stream = Stream(hooks.settings.table_name)
    stream.read()
    create(hooks, receiver.url)
    enroll(hooks)
    stream_to_deliveries(hooks, stream)
    (queued,) = hooks.delivery_queue.due()
    hooks.delivery_queue.send(queued, timedelta())
    hooks.delivery_queue.send(queued, timedelta())  # SQS delivers at least once
    assert run_due(hooks) == ["delivered", "stale"]
    assert len(receiver.got) == 1


def test_across_a_rotation_the_old_and_the_new_secret_both_verify_for_a_day(hooks, receiver):
    stream = Stream(hooks.settings.table_name)
    stream.read()
    made = create(hooks, receiver.url)
    rotated = json.loads(webhooks.rotate(hooks, made["webhook_id"], None).body)
    assert rotated["secret"] != made["secret"]
    assert rotated["old_secret_until"] is not None
    enroll(hooks)
    stream_to_deliveries(hooks, stream)
    assert run_due(hooks) == ["delivered"]
    headers, body = receiver.got[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(made["secret"]).verify(body, headers)
    Webhook(rotated["secret"]).verify(body, headers)
    assert webhooks.get(hooks, made["webhook_id"]).old_secret_until is not None


def test_a_failing_receiver_sees_the_backoff_then_the_delivery_is_parked_with_its_reason(
    hooks, receiver
):
    stream = Stream(hooks.settings.table_name)
    stream.read()
    made = create(hooks, receiver.url)
    enroll(hooks)
    stream_to_deliveries(hooks, stream)
    receiver.answer = 500
    assert run_due(hooks) == ["retrying"]
    waits = []
    for _ in RETRY_STEPS:
        ((due, _message),) = hooks.delivery_queue.waiting()
        waits.append(due - hooks.clock())
        assert run_due(hooks) == []  # not due yet
        hooks.clock.now = due
        assert run_due(hooks, due)[0] in ("retrying", "failed")
    assert waits == list(RETRY_STEPS)  # draw 1.0: each wait is its whole step
    assert len(receiver.got) == 1 + len(RETRY_STEPS)
    assert len({h["webhook-id"] for h, _ in receiver.got}) == 1
    assert hooks.delivery_queue.waiting() == []
    (parked,) = webhooks.deliveries(hooks, made["webhook_id"], DeliveryQuery()).deliveries
    assert (parked.status, parked.attempts, parked.last_code) == ("failed", 7, 500)
    assert "HTTP 500" in (parked.last_reason or "")
    failed_only = webhooks.deliveries(hooks, made["webhook_id"], DeliveryQuery(status="failed"))
    assert len(failed_only.deliveries) == 1
    # redelivered by hand, it succeeds with the same webhook-id
    receiver.answer = 200
    webhooks.redeliver(hooks, made["webhook_id"], parked.delivery_id, None)
    assert run_due(hooks) == ["delivered"]
    assert receiver.got[-1][0]["webhook-id"] == receiver.got[0][0]["webhook-id"]
    (done,) = webhooks.deliveries(hooks, made["webhook_id"], DeliveryQuery()).deliveries
    assert (done.status, done.round, done.attempts, done.last_code) == ("delivered", 2, 1, 200)


def test_a_timeout_and_a_refused_connection_are_failed_attempts_with_their_reason(hooks, receiver):
    stream = Stream(hooks.settings.table_name)
    stream.read()
    slow = create(hooks, receiver.url)
    refused = create(hooks, "http://127.0.0.1:9/nobody-listens")
    enroll(hooks)
    stream_to_deliveries(hooks, stream)
    receiver.delay = 1.5  # past the sender's 1 s
    assert run_due(hooks) == ["retrying", "retrying"]
    (late,) = webhooks.deliveries(hooks, slow["webhook_id"], DeliveryQuery()).deliveries
    assert late.last_code is None and "timeout" in (late.last_reason or "")
    (nobody,) = webhooks.deliveries(hooks, refused["webhook_id"], DeliveryQuery()).deliveries
    assert nobody.last_code is None and "connection failed" in (nobody.last_reason or "")
    assert nobody.next_attempt_at == hooks.clock() + RETRY_STEPS[0]


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "http://169.254.169.254/",
        "https://[fd00:ec2::254]/",
        "https://10.0.0.8/hook",
        "https://192.168.1.2/hook",
        "https://[::1]/hook",
        "https://localhost/hook",
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
    ],
)
def test_urls_to_metadata_private_or_loopback_addresses_are_refused(brand, url):
    with pytest.raises(UrlNotAllowed) as refused:
        webhooks.create(brand, WebhookCreate(url=url, events=["*"]), None)
    assert refused.value.param == "url"
    assert webhooks.list_all(brand).webhooks == []


def test_a_url_is_checked_again_at_each_delivery(hooks, receiver):
    """DNS can change after the endpoint was registered: the delivery checks the address too."""
    stream = Stream(hooks.settings.table_name)
    stream.read()
    made = create(hooks, receiver.url)
    enroll(hooks)
    stream_to_deliveries(hooks, stream)
    hooks.sender = HttpSender(allow_loopback=False, timeout=1.0)
    assert run_due(hooks) == ["retrying"]
    (refused,) = webhooks.deliveries(hooks, made["webhook_id"], DeliveryQuery()).deliveries
    assert "url_not_allowed" in (refused.last_reason or "") and receiver.got == []


def test_a_disabled_endpoint_gets_nothing_new_and_parks_what_was_under_way(hooks, receiver):
    stream = Stream(hooks.settings.table_name)
    stream.read()
    made = create(hooks, receiver.url)
    member_id = enroll(hooks)
    stream_to_deliveries(hooks, stream)
    webhooks.update(hooks, made["webhook_id"], WebhookUpdate(enabled=False), None)
    assert run_due(hooks) == ["failed"]
    buy(hooks, member_id, "o-1", 10_000)
    assert stream_to_deliveries(hooks, stream).deliveries == 0 and receiver.got == []


def test_the_secret_is_stored_sealed_and_a_replayed_create_shows_the_same_one(hooks, receiver):
    body = WebhookCreate(url=receiver.url, events=["*"])
    first = webhooks.create(hooks, body, Idem("k", "c", "h"))
    again = webhooks.create(hooks, body, Idem("k", "c", "h"))
    assert again.body == first.body and again.replayed
    secret = json.loads(first.body)["secret"]
    items = list(Item.scan())
    stored = json.dumps([i.attribute_values for i in items], default=str)  # answers unpacked
    assert any(isinstance(i, IdempotencyItem) and i.response for i in items)
    assert secret.removeprefix("whsec_") not in stored
    (endpoint,) = [i for i in items if isinstance(i, WebhookItem)]
    assert endpoint.secret.startswith("v1.")
    assert len(webhooks.list_all(hooks).webhooks) == 1


RECEIVERS = Path(__file__).resolve().parents[1] / "receivers"
ROOT = Path(__file__).resolve().parents[2]
JS_LIBRARY = "standardwebhooks@1.1.1"


def _js_library() -> Path:
    return installed(JS_LIBRARY, "standardwebhooks", "standardwebhooks-js")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(command: list[str], secret: str, port: int, cwd: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [*command, str(port)],
        cwd=cwd,
        env={**os.environ, "WEBHOOK_SECRET": secret},
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"{command} did not listen on {port}")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None, reason="the Node receiver needs Node/npm")
def test_the_readme_receivers_in_python_and_node_verify_real_deliveries(hooks):
    """The two receivers the README shows, run as they are, each given its endpoint's secret."""
    where = _js_library()
    shutil.copy(RECEIVERS / "receiver.mjs", where / "receiver.mjs")
    stream = Stream(hooks.settings.table_name)
    stream.read()
    python_port, node_port = _free_port(), _free_port()
    for_python = create(hooks, f"http://127.0.0.1:{python_port}/")
    for_node = create(hooks, f"http://127.0.0.1:{node_port}/")
    receivers = [
        _start(
            [sys.executable, str(RECEIVERS / "receiver.py")],
            for_python["secret"],
            python_port,
            RECEIVERS,
        ),
        _start(["node", "receiver.mjs"], for_node["secret"], node_port, where),
    ]
    try:
        enroll(hooks)
        stream_to_deliveries(hooks, stream)
        hooks.clock.now = datetime.now(UTC)
        assert run_due(hooks) == ["delivered", "delivered"]
    finally:
        for process in receivers:
            process.terminate()
    printed = [process.communicate(timeout=10)[0].split() for process in receivers]
    event_ids = [
        d.event_id
        for w in (for_python, for_node)
        for d in webhooks.deliveries(hooks, w["webhook_id"], DeliveryQuery()).deliveries
    ]
    assert printed == [["member.enrolled", event_ids[0]], ["member.enrolled", event_ids[1]]]


def test_a_redelivery_message_that_arrives_before_its_round_is_written_waits_for_it(
    hooks, receiver
):
    """A redelivery queues its message first, then writes the new round: a worker quick enough
    to get the message in between must wait for the write, not drop the message."""
    from chalicelib.webhooks.delivery import message

    stream = Stream(hooks.settings.table_name)
    stream.read()
    made = create(hooks, receiver.url)
    enroll(hooks)
    stream_to_deliveries(hooks, stream)
    assert run_due(hooks) == ["delivered"]
    (done,) = webhooks.deliveries(hooks, made["webhook_id"], DeliveryQuery()).deliveries
    stored = hooks.webhooks.delivery(made["webhook_id"], done.delivery_id)
    early = message(replace(stored, round=stored.round + 1), 1, hooks.clock())
    hooks.delivery_queue.send(early, timedelta())
    assert run_due(hooks) == ["waiting"]  # the round is not written yet
    uow = hooks.uow()
    hooks.webhooks.stage_restart(uow, stored, hooks.clock())
    uow.commit()
    hooks.clock.advance(seconds=1)
    assert run_due(hooks) == ["delivered"] and len(receiver.got) == 2
    never = message(replace(stored, round=stored.round + 2), 1, hooks.clock())
    hooks.delivery_queue.send(never, timedelta())
    hooks.clock.advance(seconds=31)  # a round that never gets written: dropped in the end
    assert run_due(hooks) == ["stale"]


def test_an_empty_update_is_refused(hooks, receiver):
    made = create(hooks, receiver.url)
    with pytest.raises(ValidationFailed):
        webhooks.update(hooks, made["webhook_id"], WebhookUpdate(), None)


def test_https_deliveries_verify_the_receivers_certificate_for_the_name_in_the_url(hooks, tmp_path):
    """The connection goes to the checked address, and TLS still checks the certificate."""
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "receiver")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    receiver = Receiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    https = receiver.url.replace("http://", "https://")
    try:
        trusting = HttpSender(allow_loopback=True, timeout=2, ca_certs=str(tmp_path / "cert.pem"))
        sent = trusting.post(https, {"webhook-id": "evt_x"}, "{}")
        assert (sent.ok, sent.code) == (True, 204)
        assert receiver.got[0][0]["webhook-id"] == "evt_x"
        untrusting = HttpSender(allow_loopback=True, timeout=2)  # the system's roots only
        refused = untrusting.post(https, {"webhook-id": "evt_y"}, "{}")
        assert not refused.ok and "TLS" in (refused.reason or "")
        assert len(receiver.got) == 1
    finally:
        receiver.close()
