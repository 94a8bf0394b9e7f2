"""The deployment templates agree with the models the code runs."""

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest

from chalicelib.store.infra import table_template

ROOT = Path(__file__).resolve().parents[2]


def test_committed_table_template_is_the_one_the_models_render():
    committed = json.loads((ROOT / "infra" / "table.json").read_text())
    assert committed == table_template(), "run `loyalty infra render` and commit infra/table.json"


def test_table_created_from_the_models_matches_the_template(deps):
    table = deps.settings.table_name
    described = boto3.client("dynamodb").describe_table(TableName=table)["Table"]
    props = table_template()["Resources"]["LoyaltyTable"]["Properties"]
    assert described["KeySchema"] == props["KeySchema"]
    created = {
        i["IndexName"]: (i["KeySchema"], i["Projection"])
        for i in described["GlobalSecondaryIndexes"]
    }
    expected = {
        i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in props["GlobalSecondaryIndexes"]
    }
    assert created == expected and set(created) == {"gsi1", "gsi2", "gsi3", "gsi4"}
    assert {p["ProjectionType"] for _, p in created.values()} == {"KEYS_ONLY"}


@pytest.mark.slow
def test_package__produces_a_template_cfn_lint_accepts(tmp_path):
    loyalty = Path(sys.executable).parent / "loyalty"
    result = subprocess.run(
        [str(loyalty), "package", "--stage", "demo", "--out", str(tmp_path / "pkg")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    template = json.loads((tmp_path / "pkg" / "sam.json").read_text())
    resources = template["Resources"]
    assert resources["LoyaltyTable"]["Properties"]["TableName"] == "loyalty-demo"
    assert {"UnauthorizedResponse", "ForbiddenResponse", "ApiKeyAuth"} <= set(resources)
    # the stream consumer: fed by the table's stream, a bad batch halved, then parked
    source = resources["StreamEventsSource"]["Properties"]
    assert source["EventSourceArn"] == {"Fn::GetAtt": ["LoyaltyTable", "StreamArn"]}
    assert source["FunctionName"] == {"Ref": "StreamEvents"}
    assert source["BisectBatchOnFunctionError"] is True
    assert source["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["StreamDeadLetters", "Arn"]
    }
    variables = resources["StreamEvents"]["Properties"]["Environment"]["Variables"]
    assert variables["LOYALTY_EVENT_BUS"] == {"Ref": "EventBus"}
    # webhook deliveries: a queue with a dead-letter queue, read by the sender function, which
    # reports failed messages one by one; the API (redeliver) and the stream consumer send to it
    deliveries = resources["WebhookDeliveriesSource"]["Properties"]
    assert deliveries["EventSourceArn"] == {"Fn::GetAtt": ["WebhookDeliveriesQueue", "Arn"]}
    assert deliveries["FunctionName"] == {"Ref": "WebhookDeliveries"}
    assert deliveries["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = resources["WebhookDeliveriesQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= resources["WebhookDeliveries"]["Properties"]["Timeout"]
    assert "deadLetterTargetArn" in queue["RedrivePolicy"]
    for function in ("APIHandler", "StreamEvents", "WebhookDeliveries"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["LOYALTY_WEBHOOK_QUEUE_URL"] == {"Ref": "WebhookDeliveriesQueue"}
    # every function imports the app, which refuses to start without the brand's key
    packaged = resources
    functions = [k for k, v in packaged.items() if v["Type"] == "AWS::Serverless::Function"]
    assert {"Nightly", "StreamEvents"} <= set(functions)
    for function in functions:
        variables = packaged[function]["Properties"]["Environment"]["Variables"]
        assert "LOYALTY_PII_KEY" in variables, function
    # every kind of write a transaction sends is allowed (a spent lot is deleted), and the scan
    # the reconciliation reads the members with
    policy = json.loads((ROOT / ".chalice" / "policy-demo.json").read_text())
    allowed = {a for statement in policy["Statement"] for a in statement["Action"]}
    assert {
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:Scan",
        "dynamodb:GetRecords",
        "events:PutEvents",
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
    } <= allowed
    # the zip: small, compiled, without what the Lambda runtime provides, and it imports with
    # only the runtime's libraries beside it
    package = tmp_path / "pkg" / "deployment.zip"
    assert package.stat().st_size <= 15 * 1024 * 1024
    with zipfile.ZipFile(package) as shipped:
        names = shipped.namelist()
        shipped.extractall(tmp_path / "task")
    assert not [n for n in names if n.startswith(("botocore/", "boto3/"))]
    assert "chalicelib/__pycache__/contract.cpython-311.pyc" in names
    runtime = tmp_path / "runtime"  # stands in for /var/runtime: boto3 and its dependencies
    runtime.mkdir()
    for library in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"):
        spec = importlib.util.find_spec(library)
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (runtime / source.name).symlink_to(source)
    imported = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            "import sys; sys.path[:0] = sys.argv[1:]; import app",
            str(tmp_path / "task"),
            str(runtime),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path / "task",
        env={"LOYALTY_PII_KEY": "package-test-pii-key", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert imported.returncode == 0, imported.stderr
