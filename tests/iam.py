"""What a function did in AWS, and whether its role in the packaged template allows it.

`Recorder` wraps botocore's one door, `BaseClient._make_api_call`, so every call any client
makes (boto3's, PynamoDB's) is seen with its parameters; each becomes the IAM actions and
resource ARNs AWS authorises it as. `Policy` evaluates a role's statements from the template,
its `Ref`/`Fn::GetAtt`/`Fn::Sub` resolved to the resources moto made, the way IAM matches
(`*` and `?` wildcards in actions and resources; an Allow, no Deny used)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from botocore.client import BaseClient

REGION, ACCOUNT = "us-east-1", "123456789012"


@dataclass(frozen=True)
class Call:
    function: str  # the logical id of the function that made it
    action: str  # service:Operation as IAM names it
    resource: str


# A transaction's items are authorised as the single-item action of each.
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
_TRANSACT |= {"ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def _table(name: str, index: str | None = None) -> str:
    arn = name if name.startswith("arn:") else f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    return f"{arn}/index/{index}" if index else arn


def authorised_as(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The (action, resource ARN) pairs IAM checks for one API call."""
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            pairs = []
            for item in params["TransactItems"]:
                ((kind, body),) = item.items()
                pairs.append((f"dynamodb:{_TRANSACT[kind]}", _table(body["TableName"])))
            return pairs
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", _table(t)) for t in params["RequestItems"]]
        return [(f"dynamodb:{operation}", _table(params["TableName"], params.get("IndexName")))]
    if service == "sqs":
        name = params["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]
        return [(f"sqs:{operation}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")]
    if service == "events":
        buses = {e.get("EventBusName", "default") for e in params["Entries"]}
        return [
            (
                f"events:{operation}",
                b if b.startswith("arn:") else f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{b}",
            )
            for b in sorted(buses)
        ]
    if service == "secretsmanager":
        return [(f"secretsmanager:{operation}", params["SecretId"])]
    if service == "lambda":
        action = "InvokeFunction" if operation == "Invoke" else operation
        return [(f"lambda:{action}", params["FunctionName"])]
    raise AssertionError(f"a call to {service}:{operation} the test does not know how to check")


@dataclass
class Recorder:
    """Every AWS call made while `acting_as(function)` is in force."""

    calls: list[Call] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    # Calls answered here rather than by moto (it cannot run a Lambda function without Docker).
    answered: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = field(default_factory=dict)

    def install(self, monkeypatch: Any) -> None:
        inner = BaseClient._make_api_call

        def recorded(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            if service == "dynamodbstreams":  # the test reading the stream, as Lambda would
                return inner(client, operation, params)
            assert self.current, f"{service}:{operation} made outside any function"
            for action, resource in authorised_as(service, operation, params):
                self.calls.append(Call(self.current[-1], action, resource))
            if f"{service}:{operation}" in self.answered:
                return self.answered[f"{service}:{operation}"](params)
            return inner(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", recorded)

    @contextmanager
    def acting_as(self, function: str) -> Iterator[None]:
        self.current.append(function)
        try:
            yield
        finally:
            self.current.pop()


def resolve(value: Any, refs: dict[str, Any], attrs: dict[tuple[str, str], str]) -> Any:
    """A template value with its intrinsic functions replaced by what they name here."""
    if isinstance(value, list):
        return [resolve(v, refs, attrs) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return refs[value["Ref"]]
    if set(value) == {"Fn::GetAtt"}:
        resource, attribute = value["Fn::GetAtt"]
        return attrs[(resource, attribute)]
    if set(value) == {"Fn::Sub"}:

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if "." in name and not name.startswith("AWS::"):
                resource, attribute = name.split(".", 1)
                return attrs[(resource, attribute)]
            return str(refs[name])

        return re.sub(r"\$\{([^}]+)\}", one, value["Fn::Sub"])
    return {k: resolve(v, refs, attrs) for k, v in value.items()}


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def allows(self, action: str, resource: str) -> bool:
        return any(fnmatchcase(action, a) for a in self.actions) and any(
            fnmatchcase(resource, r) for r in self.resources
        )


def role_statements(template: dict[str, Any], role: str, refs, attrs) -> list[Statement]:
    found = []
    for policy in template["Resources"][role]["Properties"]["Policies"]:
        for statement in resolve(policy["PolicyDocument"], refs, attrs)["Statement"]:
            assert statement["Effect"] == "Allow", statement
            actions = statement["Action"]
            resources = statement["Resource"]
            found.append(
                Statement(
                    statement.get("Sid", ""),
                    tuple([actions] if isinstance(actions, str) else actions),
                    tuple([resources] if isinstance(resources, str) else resources),
                )
            )
    return found
