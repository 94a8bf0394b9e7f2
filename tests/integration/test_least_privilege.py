"""Least privilege, proved: each function of the packaged demo stack runs under moto with the
environment the template gives it, every AWS call it makes is recorded, and each must be
allowed by that function's own role in the template; and each action a role grants for the
code must be one the code was seen to make."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from chalicelib import observe
from chalicelib.services.deps import Deps, build, use
from chalicelib.settings import Settings
from chalicelib.store.models import configure, create_table
from loyalty_tools.stack.policies import API, AUTH, FUNCTIONS, NIGHTLY, STREAM, WEBHOOKS, grants
from tests.conftest import ENGINE, Clock
from tests.iam import ACCOUNT, REGION, Call, Recorder, Statement, resolve, role_statements
from tests.streams import Stream
from tests.tour import Person, drive

pytestmark = [
    pytest.mark.skipif(ENGINE != "moto", reason="SQS, EventBridge and Secrets Manager are moto's"),
    pytest.mark.xdist_group("package"),
]
BRAND, TABLE = "demo", "loyalty-demo"


class Receiver:
    """A webhook receiver on 127.0.0.1: the first delivery fails (so the sender queues its next
    attempt), every later one is accepted."""

    def __init__(self) -> None:
        seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                seen.append(1)
                self.send_response(500 if len(seen) == 1 else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"


@dataclass
class Stack:
    template: dict[str, Any]
    refs: dict[str, Any]
    attrs: dict[tuple[str, str], str]
    queues: dict[str, str]  # logical id -> URL

    def deps(self, logical_id: str, clock: Any = None) -> Deps:
        """The function's Deps from the environment the template gives it (as in Lambda)."""
        props = self.template["Resources"][logical_id]["Properties"]
        env = resolve(props["Environment"]["Variables"], self.refs, self.attrs)
        # Receivers here are on 127.0.0.1, which the deployed stack refuses.
        env = {**env, "LOYALTY_ALLOW_LOOPBACK_WEBHOOKS": "true", "LOYALTY_REGION": REGION}
        settings = Settings.from_environment(env)
        return build(settings, **({"clock": clock} if clock else {}))

    def statements(self, logical_id: str) -> list[Statement]:
        role = next(f.role for f in FUNCTIONS if f.logical_id == logical_id)
        return role_statements(self.template, role, self.refs, self.attrs)


@pytest.fixture(scope="module")
def stack(packaged: dict[str, Path]) -> Iterator[Stack]:
    from moto import mock_aws

    template = json.loads((packaged[BRAND] / "sam.json").read_text())
    resources = template["Resources"]
    with mock_aws():
        secret = boto3.client("secretsmanager").create_secret(
            Name=f"loyalty/{BRAND}/pii-key", SecretString="k" * 64
        )["ARN"]
        bus = boto3.client("events").create_event_bus(Name=f"loyalty-{BRAND}")["EventBusArn"]
        sqs = boto3.client("sqs")
        queues = {
            logical: sqs.create_queue(QueueName=resources[logical]["Properties"]["QueueName"])[
                "QueueUrl"
            ]
            for logical in ("WebhookDeliveriesQueue", "WebhookDeadLetters", "StreamDeadLetters")
        }
        configure(TABLE, REGION)
        create_table()
        stream_arn = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"][
            "LatestStreamArn"
        ]
        refs: dict[str, Any] = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "LoyaltyTable": TABLE,
            "PiiKey": secret,
            "EventBus": f"loyalty-{BRAND}",
            **queues,
        }
        attrs = {
            ("LoyaltyTable", "Arn"): f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}",
            ("LoyaltyTable", "StreamArn"): stream_arn,
            ("EventBus", "Arn"): bus,
        }
        for logical, url in queues.items():
            name = url.rsplit("/", 1)[-1]
            attrs[(logical, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
            attrs[(logical, "QueueName")] = name
        for function in FUNCTIONS:
            group = f"/aws/lambda/{function.name(BRAND)}"
            attrs[(function.log_group, "Arn")] = (
                f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"
            )
        yield Stack(template, refs, attrs, queues)
        use(None)


def run_every_function(stack: Stack, recorder: Recorder, monkeypatch: Any) -> None:
    """Every route through the API (its authorizer's calls its own), the stream consumer on the
    records they wrote, the webhook sender on the queue's messages, and two nights."""
    from chalice.test import Client

    from app import app
    from chalicelib.jobs import schedules, stream, webhooks
    from chalicelib.services import api_keys
    from loyalty_tools.demo import seed
    from tests.api.conftest import PROJECT, Api

    api_deps = stack.deps(API.logical_id)
    use(api_deps)
    with recorder.acting_as("setup"):  # what the operator's CLI does: not a function's call
        seed(api_deps)
        storefront, _ = api_keys.create(api_deps, "storefront")
        admin, _ = api_keys.create(api_deps, "admin")
        table_stream = Stream(TABLE)
    authenticate = api_keys.authenticate

    def authorizer(*args: Any) -> Any:
        with recorder.acting_as(AUTH.logical_id):
            return authenticate(*args)

    monkeypatch.setattr(api_keys, "authenticate", authorizer)
    receiver = Receiver()

    def stream_and_sender(*poison: dict[str, Any]) -> None:
        use(stack.deps(STREAM.logical_id))
        with recorder.acting_as(STREAM.logical_id):
            # as Lambda hands a batch over with a tumbling window: the shard named
            event = {"Records": [*poison, *table_stream.read()], "shardId": table_stream.shard_id}
            stream.stream_events(event, None)
        use(stack.deps(WEBHOOKS.logical_id))
        sqs = boto3.client("sqs")
        with recorder.acting_as(f"{WEBHOOKS.logical_id}:lambda"):  # the event source mapping
            got = sqs.receive_message(
                QueueUrl=stack.queues["WebhookDeliveriesQueue"], MaxNumberOfMessages=5
            )
        records = [{"messageId": m["MessageId"], "body": m["Body"]} for m in got["Messages"]]
        with recorder.acting_as(WEBHOOKS.logical_id):
            answer = webhooks.webhook_deliveries({"Records": records}, None)
        assert answer == {"batchItemFailures": []}
        use(api_deps)

    with (
        Client(app, stage_name="dev", project_dir=PROJECT) as client,
        recorder.acting_as(API.logical_id),
    ):
        tour = drive(Api(client, storefront, admin), Person(), receiver.url, stream_and_sender)
    assert tour.missing() == set()
    # the events of the rest of the tour, and a record that is none of the table's: parked
    stream_and_sender({"eventName": "INSERT", "dynamodb": {"NewImage": {"pk": {"S": "x"}}}})

    clock = Clock(datetime.now(UTC) + timedelta(days=1, hours=1))
    use(stack.deps(NIGHTLY.logical_id, clock))
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{NIGHTLY.name(BRAND)}"
    recorder.answered["lambda:Invoke"] = lambda params: {"StatusCode": 202}
    with recorder.acting_as(NIGHTLY.logical_id):
        plenty = SimpleNamespace(get_remaining_time_in_millis=lambda: 900_000)
        night = schedules.nightly.func(SimpleNamespace(context=plenty, detail={}))
        assert night["runs"] and not night["continued"]
        clock.advance(days=1)  # the next night, out of time after its first page
        budget = iter([60.0] + [5.0] * 1000)
        short = SimpleNamespace(
            get_remaining_time_in_millis=lambda: next(budget) * 1000, invoked_function_arn=arn
        )
        assert schedules.nightly.func(SimpleNamespace(context=short, detail={}))["continued"]


# Granted for a path this scenario does not reach (it needs a year of history): the expiry job
# deleting the lots it expired. The test fails if it becomes used (take it out of here) or if
# any other grant is not used.
NOT_REACHED = {
    f"{NIGHTLY.logical_id} is granted dynamodb:DeleteItem (WriteTheTable) but never calls it"
}


def check(stack: Stack, calls: list[Call]) -> list[str]:
    """The problems: calls no statement of the function's role allows, and code grants no
    call needed."""
    problems = []
    for function in FUNCTIONS:
        statements = stack.statements(function.logical_id)
        made = [c for c in calls if c.function.split(":")[0] == function.logical_id]
        for call in made:
            if not any(s.allows(call.action, call.resource) for s in statements):
                problems.append(f"{call.function} is not allowed {call.action} on {call.resource}")
        for grant in grants(function, BRAND):
            if grant.used_by != "code":
                continue
            statement = next(s for s in statements if s.sid == grant.sid)
            for action in grant.actions:
                used = [
                    c for c in made if c.action == action and statement.allows(action, c.resource)
                ]
                if not used:
                    problems.append(
                        f"{function.logical_id} is granted {action} ({grant.sid}) "
                        "but never calls it"
                    )
    return problems


class Lines(logging.Handler):
    """Every log line any logger writes (INFO and up, as in Lambda), formatted as Powertools
    writes it, with its extra keys."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(observe.logger.registered_formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class Scenario:
    calls: list[Call]
    lines: list[str]  # log lines and the EMF lines on stdout


@pytest.fixture(scope="module")
def scenario(stack: Stack) -> Scenario:
    """Every function run once, with every AWS call recorded and every log line kept."""
    recorder = Recorder()
    lines = Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(lines)
    root.setLevel(logging.INFO)
    stdout = io.StringIO()
    try:
        with pytest.MonkeyPatch.context() as monkeypatch, contextlib.redirect_stdout(stdout):
            recorder.install(monkeypatch)
            run_every_function(stack, recorder, monkeypatch)
    finally:
        root.removeHandler(lines)
        root.setLevel(level)
    return Scenario(recorder.calls, lines.lines + stdout.getvalue().splitlines())


def test_every_call_of_every_function_is_allowed_and_every_grant_is_used(stack, scenario):
    recorder = scenario
    problems = set(check(stack, recorder.calls))
    assert problems == NOT_REACHED, "\n".join(sorted(problems ^ NOT_REACHED))
    # and a grant no call needs is found: the API's scan, if nothing had scanned
    unscanned = [c for c in recorder.calls if c.action != "dynamodb:Scan"]
    assert any("APIHandler is granted dynamodb:Scan" in p for p in check(stack, unscanned))
    by_function = {c.function.split(":")[0] for c in recorder.calls}
    assert {f.logical_id for f in FUNCTIONS} <= by_function


def test_the_check_fails_when_a_function_makes_a_call_its_role_does_not_allow(stack):
    """The test of the test: the stream consumer reading the PII key, the authorizer writing,
    the nightly jobs sending to a queue: each is found."""
    undeclared = [
        Call(STREAM.logical_id, "secretsmanager:GetSecretValue", stack.refs["PiiKey"]),
        Call(AUTH.logical_id, "dynamodb:PutItem", stack.attrs[("LoyaltyTable", "Arn")]),
        Call(NIGHTLY.logical_id, "sqs:SendMessage", stack.attrs[("StreamDeadLetters", "Arn")]),
        Call(API.logical_id, "dynamodb:GetItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/x"),
    ]
    problems = check(stack, undeclared)
    for call in undeclared:
        assert any(call.action in p and call.function in p and "not allowed" in p for p in problems)


def test_no_personal_data_in_any_log_line_of_any_function(scenario):
    """Every route, the stream consumer, the webhook sender and the nights, with a phone, an
    email and a name sent wherever they fit (and where they do not: refused bodies)."""
    person = Person()
    secrets = {
        person.phone,
        f"+86{person.phone}",
        person.phone[-8:],
        person.email,
        person.email.split("@")[0],
        person.name,
        *person.name.split(" "),
    }
    assert len(scenario.lines) > 100
    requests = [json.loads(line) for line in scenario.lines if '"message":"request"' in line]
    assert {r["route"] for r in requests} >= {"/v1/members", "/v1/members/{member_id}/purchases"}
    assert all(r["correlation_id"] and r["duration_ms"] >= 0 and r["status"] for r in requests)
    assert any('"PointsEarned"' in line for line in scenario.lines)  # the EMF lines are seen
    leaks = [(s, line) for line in scenario.lines for s in secrets if s in line]
    assert leaks == []
