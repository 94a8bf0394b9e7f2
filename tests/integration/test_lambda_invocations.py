"""The packaged functions, invoked as Lambda invokes them: from the unzipped package, in a clean
interpreter that has only the Lambda runtime's libraries beside it (`-I -S`, boto3 and its
dependencies as /var/runtime has them), each handler called with the platform's own event shape
(`tests/fixtures/lambda/`, after AWS's published samples) against DynamoDB Local, with moto's
server standing in for EventBridge, SQS and Secrets Manager: the authorizer and the API handler
(an enrolment, a purchase, a webhook registered), the stream consumer on a batch read from the
table's own stream (events published, deliveries queued), the webhook sender on the SQS batch
(`ReportBatchItemFailures`), and the nightly job on its scheduled event."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest

from chalicelib.services import api_keys
from loyalty_tools.local.engine import free_port, wait_listening
from tests.conftest import ENGINE
from tests.streams import Stream

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(ENGINE == "moto", reason="against DynamoDB Local (make test-engine, CI)"),
]
ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "fixtures" / "lambda"
RUNTIME_LIBRARIES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
REGION = "us-east-1"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def task(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """The demo brand's package unzipped (as /var/task), the runtime's libraries (as
    /var/runtime) and its SAM template."""
    where = tmp_path_factory.mktemp("lambda")
    loyalty = Path(sys.executable).parent / "loyalty"
    subprocess.run(
        [
            loyalty,
            "package",
            "--brand",
            "demo",
            "--out",
            where / "dist",
            "--no-lint",
            "--project-dir",
            ROOT,
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with zipfile.ZipFile(where / "dist" / "package" / "deployment.zip") as shipped:
        shipped.extractall(where / "task")
    runtime = where / "runtime"
    runtime.mkdir()
    for library in RUNTIME_LIBRARIES:
        origin = Path(importlib.util.find_spec(library).origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (runtime / source.name).symlink_to(source)
    template = json.loads((where / "dist" / "package" / "sam.json").read_text())
    return where / "task", runtime, template


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """EventBridge, SQS and Secrets Manager for the functions (DynamoDB is DynamoDB Local)."""
    port = free_port()
    server = subprocess.Popen(
        [Path(sys.executable).parent / "moto_server", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_listening(port, server)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


class Receiver(BaseHTTPRequestHandler):
    got: ClassVar[list[tuple[dict[str, str], dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((dict(self.headers), json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.got = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()


class Functions:
    """Each packaged function, called by its handler with its template's environment."""

    def __init__(self, task: tuple[Path, Path, dict[str, Any]], table: str, aws: dict[str, str]):
        self.task, self.runtime, template = task
        self.functions = {
            name: r["Properties"]
            for name, r in template["Resources"].items()
            if r["Type"] == "AWS::Serverless::Function"
        }
        self.table, self.aws = table, aws

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        properties = self.functions[function]
        refs = {"LoyaltyTable": self.table, **self.aws}
        environment = {
            name: refs[value["Ref"]] if isinstance(value, dict) else value
            for name, value in properties["Environment"]["Variables"].items()
        }
        environment |= {
            "LOYALTY_TABLE_NAME": self.table,
            "LOYALTY_ALLOW_LOOPBACK_WEBHOOKS": "true",  # the receiver is on this machine
            "AWS_LAMBDA_FUNCTION_NAME": properties["FunctionName"],
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": self.aws["endpoint"],
            "AWS_ENDPOINT_URL_DYNAMODB": os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
            "TZ": "UTC",
        }
        handler = properties["Handler"]
        done = subprocess.run(
            [sys.executable, "-I", "-S", EVENTS / "invoke.py", self.task, self.runtime, handler],
            input=json.dumps(event),
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
        )
        answers = [line[7:] for line in done.stdout.splitlines() if line.startswith("ANSWER ")]
        assert done.returncode == 0 and answers, done.stdout[-3000:] + done.stderr[-3000:]
        return json.loads(answers[-1])


def api_request(
    functions: Functions, key: str, method: str, path: str, body: object = None
) -> tuple[int, Any]:
    """The authorizer on the key, then the API handler on the REST proxy event API Gateway
    makes of the request with the authorizer's context (as it hands it over)."""
    token = {**fixture("apigateway-token-authorizer"), "authorizationToken": f"Bearer {key}"}
    allowed = functions.invoke("ApiKeyAuth", token)
    assert allowed["policyDocument"]["Statement"][0]["Effect"] == "Allow", allowed
    event = copy.deepcopy(fixture("apigateway-aws-proxy"))
    parts = path.strip("/").split("/")
    resource = "/" + "/".join("{member_id}" if p.startswith("mem_") else p for p in parts)
    event |= {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "body": None if body is None else json.dumps(body),
        "pathParameters": {"member_id": next(p for p in parts if p.startswith("mem_"))}
        if resource != path
        else None,
    }
    event["headers"]["Authorization"] = f"Bearer {key}"
    event["requestContext"] |= {"resourcePath": resource, "httpMethod": method}
    event["requestContext"]["authorizer"] = {
        "principalId": allowed["principalId"],
        **allowed["context"],
        "integrationLatency": 3,
    }
    answer = functions.invoke("APIHandler", event)
    return answer["statusCode"], json.loads(answer["body"])


def test_each_packaged_function_answers_the_platforms_own_event(brand, task, moto_server, receiver):
    aws = _stand_ins(moto_server)
    functions = Functions(task, brand.settings.table_name, aws)
    storefront, _ = api_keys.create(brand, "storefront")
    admin, _ = api_keys.create(brand, "admin")
    stream = Stream(brand.settings.table_name)

    status, hook = api_request(
        functions,
        admin,
        "POST",
        "/v1/admin/webhooks",
        {"url": receiver, "events": ["member.enrolled", "points.earned"]},
    )
    assert status == 201, hook
    status, member = api_request(
        functions, storefront, "POST", "/v1/members", {"phone": "13800138000"}
    )
    assert status == 201, member
    order = {"order_id": "A-1", "amount": 8800, "currency": "CNY"}
    path = f"/v1/members/{member['member_id']}/purchases"
    status, bought = api_request(functions, storefront, "POST", path, order)
    assert status == 201 and bought["points_earned"] > 0, bought

    # the table's own stream, as Lambda's poller hands it over (a tumbling window of one shard)
    batch = fixture("dynamodb-stream-tumbling-window")
    (shard, records), *_ = [(s, r) for s, r in stream.read_shards() if r]
    batch |= {
        "Records": [_as_lambda(r, batch["eventSourceARN"]) for r in records],
        "shardId": shard,
    }
    assert functions.invoke("StreamEvents", batch) == {"state": {}, "batchItemFailures": []}

    sqs = boto3.client("sqs", endpoint_url=moto_server, region_name=REGION)
    queued = sqs.receive_message(QueueUrl=aws["WebhookDeliveriesQueue"], MaxNumberOfMessages=10)
    messages = queued.get("Messages", [])
    assert len(messages) == 2  # one delivery per event the endpoint asked for
    sample = fixture("sqs-receive-message")["Records"][0]
    deliveries = {
        "Records": [
            sample
            | {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
            for m in messages
        ]
    }
    assert functions.invoke("WebhookDeliveries", deliveries) == {"batchItemFailures": []}
    kinds = sorted(body["type"] for _, body in Receiver.got)
    assert kinds == ["member.enrolled", "points.earned"]
    assert all(headers["webhook-signature"].startswith("v1,") for headers, _ in Receiver.got)

    night = functions.invoke("Nightly", fixture("eventbridge-scheduled"))
    # each job of the brand-local night: [job, business date, status, counts]
    assert {job for job, *_ in night["runs"]} >= {"expiry", "reconcile"}, night
    assert all(status == "finished" for _, _, status, _ in night["runs"]), night
    assert night["continued"] is False


def _stand_ins(endpoint: str) -> dict[str, str]:
    """The queues, the bus and the PII key's secret the template would make, in moto."""
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    events = boto3.client("events", endpoint_url=endpoint, region_name=REGION)
    secrets = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION)
    suffix = str(time.monotonic_ns())
    return {
        "endpoint": endpoint,
        "WebhookDeliveriesQueue": sqs.create_queue(QueueName=f"hooks-{suffix}")["QueueUrl"],
        "StreamDeadLetters": sqs.create_queue(QueueName=f"dlq-{suffix}")["QueueUrl"],
        "EventBus": events.create_event_bus(Name=f"bus-{suffix}")["EventBusArn"].split("/")[-1],
        "PiiKey": secrets.create_secret(
            Name=f"pii-{suffix}", SecretString="test-pii-key-not-secret"
        )["ARN"],
    }


def _as_lambda(record: dict[str, Any], source: str) -> dict[str, Any]:
    """A record as `GetRecords` answers it, as Lambda hands it over in JSON: the time in epoch
    seconds, binary values in base64."""
    dynamodb = _json_values(record["dynamodb"])
    dynamodb["ApproximateCreationDateTime"] = record["dynamodb"][
        "ApproximateCreationDateTime"
    ].timestamp()
    return {**record, "dynamodb": dynamodb, "eventSourceARN": source}


def _json_values(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _json_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_values(v) for v in value]
    return value
