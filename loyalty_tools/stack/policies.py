"""Least privilege, as data: each function's role allows only the actions it makes, on only the
resources of its own stack.

A `Grant` is either used by the function's `code` (every such action is one the code was seen
to call: `tests/integration/test_least_privilege.py` runs each function under moto, records its
AWS calls, and fails on a call no grant allows and on a code grant no call needs), or used by
`lambda`, the service acting for the function (reading the table's stream or the queue for an
event source mapping, writing the function's logs); those are the actions AWS documents for it.
"""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct

Cfn = Any  # a CloudFormation value: a string, or {"Fn::GetAtt": ...}, {"Fn::Sub": ...}, ...


class Grant(Struct, frozen=True):
    sid: str
    actions: tuple[str, ...]
    resources: tuple[Cfn, ...]
    used_by: Literal["code", "lambda"] = "code"


class Function(Struct, frozen=True):
    """One function of the stack: its logical id in Chalice's template, the role Chalice makes
    for it, its name in AWS, and its limits."""

    logical_id: str
    role: str
    suffix: str  # the function is named loyalty-<brand>-<suffix>
    timeout: int
    memory: int

    def name(self, brand: str) -> str:
        return f"loyalty-{brand}-{self.suffix}"

    @property
    def log_group(self) -> str:
        return f"{self.logical_id}Logs"


WEBHOOK_BATCH = 5
# Each attempt may wait 15 s for its receiver: a batch of 5 in turn, and some slack.
WEBHOOK_FUNCTION_SECONDS = 90
JOB_SECONDS = 900  # a night stops cleanly before this and invokes itself to go on

API = Function("APIHandler", "ApiHandlerRole", "api", 10, 512)
AUTH = Function("ApiKeyAuth", "ApiKeyAuthRole", "auth", 10, 512)
STREAM = Function("StreamEvents", "StreamEventsRole", "stream", 60, 512)
WEBHOOKS = Function(
    "WebhookDeliveries", "WebhookDeliveriesRole", "webhooks", WEBHOOK_FUNCTION_SECONDS, 256
)
NIGHTLY = Function("Nightly", "NightlyRole", "nightly", JOB_SECONDS, 512)
FUNCTIONS = (API, AUTH, STREAM, WEBHOOKS, NIGHTLY)

TABLE = {"Fn::GetAtt": ["LoyaltyTable", "Arn"]}
INDEXES = {"Fn::Sub": "${LoyaltyTable.Arn}/index/*"}
STREAM_ARN = {"Fn::GetAtt": ["LoyaltyTable", "StreamArn"]}
SECRET = {"Ref": "PiiKey"}
BUS = {"Fn::GetAtt": ["EventBus", "Arn"]}
WEBHOOK_QUEUE = {"Fn::GetAtt": ["WebhookDeliveriesQueue", "Arn"]}
STREAM_DLQ = {"Fn::GetAtt": ["StreamDeadLetters", "Arn"]}

READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")
# A transaction's items are authorised one by one, as the single-item action of each (the code
# sends no ConditionCheck item, so dynamodb:ConditionCheckItem is granted to no one).
WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


def _logs(function: Function) -> Grant:
    return Grant(
        "WriteItsLogs",
        ("logs:CreateLogStream", "logs:PutLogEvents"),
        ({"Fn::GetAtt": [function.log_group, "Arn"]},),
        "lambda",
    )


def grants(function: Function, brand: str, tracing: bool = False) -> list[Grant]:
    """What `function` may do in the stack of `brand` (`tracing`: X-Ray is on for the stage)."""
    nightly_arn = {
        "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
        + NIGHTLY.name(brand)
    }
    table = (TABLE, INDEXES)
    by_function: dict[str, list[Grant]] = {
        API.logical_id: [
            Grant("ReadTheTable", (*READ, "dynamodb:Scan"), table),
            Grant("WriteTheTable", WRITE, (TABLE,)),
            Grant("ReadThePiiKey", ("secretsmanager:GetSecretValue",), (SECRET,)),
            Grant("QueueRedeliveries", ("sqs:SendMessage",), (WEBHOOK_QUEUE,)),
        ],
        AUTH.logical_id: [
            Grant("ReadApiKeys", ("dynamodb:GetItem",), (TABLE,)),
        ],
        STREAM.logical_id: [
            Grant("ReadWebhooksAndCountMarks", ("dynamodb:Query",), (TABLE,)),
            Grant("ReadTheProgram", ("dynamodb:GetItem",), (TABLE,)),
            Grant(
                "KeepEventsDeliveriesAndSignals",
                ("dynamodb:PutItem", "dynamodb:UpdateItem"),
                (TABLE,),
            ),
            Grant("PublishEvents", ("events:PutEvents",), (BUS,)),
            Grant("QueueDeliveries", ("sqs:SendMessage",), (WEBHOOK_QUEUE,)),
            Grant("ParkPoisonRecords", ("sqs:SendMessage",), (STREAM_DLQ,)),
            Grant(
                "ReadTheStream",
                (
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ),
                (STREAM_ARN,),
                "lambda",
            ),
        ],
        WEBHOOKS.logical_id: [
            Grant("ReadDeliveries", ("dynamodb:GetItem",), (TABLE,)),
            Grant("RecordAttempts", ("dynamodb:UpdateItem",), (TABLE,)),
            Grant("OpenSealedSecrets", ("secretsmanager:GetSecretValue",), (SECRET,)),
            Grant("QueueTheNextAttempt", ("sqs:SendMessage",), (WEBHOOK_QUEUE,)),
            Grant(
                "ReadTheQueue",
                ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
                (WEBHOOK_QUEUE,),
                "lambda",
            ),
        ],
        NIGHTLY.logical_id: [
            Grant("ReadTheTable", (*READ, "dynamodb:Scan"), table),
            Grant("WriteTheTable", WRITE, (TABLE,)),
            Grant("ContinueTheNight", ("lambda:InvokeFunction",), (nightly_arn,)),
        ],
    }
    found = [*by_function[function.logical_id], _logs(function)]
    if tracing:
        found.append(
            Grant(
                "SendTraces",
                ("xray:PutTraceSegments", "xray:PutTelemetryRecords"),
                ("*",),  # X-Ray's actions take no resource
                "lambda",
            )
        )
    return found


def policy_document(found: list[Grant]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": grant.sid,
                "Effect": "Allow",
                "Action": list(grant.actions),
                "Resource": list(grant.resources),
            }
            for grant in found
        ],
    }
