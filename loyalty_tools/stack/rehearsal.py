"""The deploy rehearsal (`make deploy-rehearsal BRAND=demo`, in CI): a brand's package deployed
exactly as `loyalty deploy` deploys it (`deploy.ship`: the upload, one change set, executed and
waited for), against moto's server started as a process of its own on a free loopback port,
then checked and deleted. Two steps differ from AWS, and say so:

- The SAM template is turned into plain CloudFormation before it is sent, by AWS's own
  translator (`sam_translate.py`, PyPI `aws-sam-translator`): in AWS, CloudFormation runs that
  translator itself; moto has no SAM transform.
- moto's CloudFormation creates a RestApi but does not import its `Body` (the OpenAPI document
  with every route), so a Deployment of it fails ("The REST API doesn't contain any methods").
  The Deployment and the Stage are left out of what moto creates; the same Body is imported
  with moto's API Gateway (`put_rest_api`, as CloudFormation would), deployed to the stage the
  template names, and checked route by route: every path and method, its Lambda proxy
  integration, its authorizer.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from msgspec import Struct

from ..local.engine import free_port, wait_listening
from .deploy import ship

VENV = Path(".cache/rehearsal")  # moto's server and AWS's SAM translator (their own pins)
HERE = Path(__file__).parent
BUCKET = "loyalty-rehearsal"
LOYALTY = Path(sys.executable).parent / "loyalty"
# What moto's CloudFormation cannot create, and how the rehearsal checks it instead: left out of
# what is sent (NOT_IN_MOTO), or accepted by moto without being made (NOT_MADE_BY_MOTO: moto
# 5.2.5 has no CloudFormation model of these types, lists them without a type and creates
# nothing). A type moto does not make and neither table names fails the rehearsal.
NOT_MADE_BY_MOTO = {
    "AWS::CloudWatch::Alarm": "cfn-lint checks every property against CloudFormation's schema "
    "(`make package`); tests/integration/test_infra.py checks each alarm's metric and that it "
    "notifies the alarm topic",
    "AWS::ApiGateway::GatewayResponse": "cfn-lint; the error bodies they answer are the "
    "local gateway's, tested in tests/api (401, 403, 404 route_not_found)",
    "AWS::SecretsManager::Secret": "cfn-lint; tests/integration/test_infra.py checks the PII "
    "key's secret is generated, kept on delete and never resolved into the template",
}
NOT_IN_MOTO = {
    "AWS::ApiGateway::Deployment": "moto does not import a RestApi's Body: the Body is imported "
    "with put_rest_api and deployed with create_deployment instead",
    "AWS::ApiGateway::Stage": "made by that create_deployment, under the stage name the "
    "template gives it",
}


class Rehearsal(Struct, frozen=True):
    created: dict[str, int]  # resource type -> how many moto created
    checked_otherwise: dict[str, int]  # the types of NOT_IN_MOTO and NOT_MADE_BY_MOTO
    outputs: dict[str, str]
    routes: int  # the API's methods imported and checked
    deleted: bool


def rehearse(
    project: Path, brand: str, region: str, stack: str, say: Callable[[str], None]
) -> Rehearsal:
    package = project / "dist" / brand / "package"
    sam = json.loads((package / "sam.json").read_text())
    with _moto(project) as endpoint:
        clients = _clients(endpoint, region)
        s3 = clients("s3")
        where = {} if region == "us-east-1" else {"LocationConstraint": region}
        s3.create_bucket(Bucket=BUCKET, **({"CreateBucketConfiguration": where} if where else {}))
        translated: dict[str, Any] = {}
        sent: dict[str, Any] = {}

        def translate(template: dict[str, Any]) -> dict[str, Any]:
            translated.update(_translated(project, template, region))
            sent.update(_for_moto(translated))
            return sent

        outputs = ship(clients, BUCKET, brand, stack, package, say, translate)
        cloudformation = clients("cloudformation")
        created, not_made = _created(cloudformation, stack, sent)
        _check_outputs(sam, outputs)
        routes = _check_api(clients, translated, stack)
        program = _load_program(project, brand, outputs, endpoint, region)
        say(program)
        cloudformation.delete_stack(StackName=stack)
        cloudformation.get_waiter("stack_delete_complete").wait(
            StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
    resources = translated["Resources"].values()
    skipped = Counter(r["Type"] for r in resources if r["Type"] in NOT_IN_MOTO) + not_made
    return Rehearsal(created, dict(sorted(skipped.items())), outputs, routes, deleted=True)


@contextmanager
def _moto(project: Path) -> Iterator[str]:
    python = project / VENV / "bin" / "python"
    if not python.exists():
        raise RuntimeError(f"no {VENV}: `make deploy-rehearsal` installs moto's server there")
    port = free_port()
    server = subprocess.Popen(
        [python, HERE / "moto_server.py", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _clients(endpoint: str, region: str) -> Callable[[str], Any]:
    import boto3

    session = boto3.session.Session(
        region_name=region, aws_access_key_id="rehearsal", aws_secret_access_key="rehearsal"
    )
    return lambda service: session.client(service, endpoint_url=endpoint)


def _translated(project: Path, template: dict[str, Any], region: str) -> dict[str, Any]:
    done = subprocess.run(
        [project / VENV / "bin" / "python", HERE / "sam_translate.py", region],
        input=json.dumps(template),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"AWS's SAM translator refused the template:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout))


def _for_moto(template: dict[str, Any]) -> dict[str, Any]:
    """The template without what moto cannot create (nothing else may refer to it)."""
    resources = template["Resources"]
    kept = {k: v for k, v in resources.items() if v["Type"] not in NOT_IN_MOTO}
    text = json.dumps({"Resources": kept, "Outputs": template.get("Outputs", {})})
    dangling = [name for name in resources if name not in kept and f'"{name}"' in text]
    if dangling:
        raise RuntimeError(f"resources moto creates refer to ones it cannot: {dangling}")
    return {**template, "Resources": kept}


def _created(
    cloudformation: Any, stack: str, sent: dict[str, Any]
) -> tuple[dict[str, int], Counter[str]]:
    """Every resource of the `sent` template CREATE_COMPLETE; by type, those moto made and
    those it only listed."""
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack)
    resources = [r for page in pages for r in page["StackResourceSummaries"]]
    failed = [
        f"{r['LogicalResourceId']} ({r['ResourceType']}): {r['ResourceStatus']}"
        for r in resources
        if r["ResourceStatus"] != "CREATE_COMPLETE"
    ]
    if failed:
        raise RuntimeError("not created: " + "; ".join(failed))
    kinds = {name: r["Type"] for name, r in sent["Resources"].items()}
    listed = {r["LogicalResourceId"] for r in resources if r["ResourceType"]}
    if len(resources) != len(kinds):  # moto lists what it has no model of without a name
        raise RuntimeError(f"{len(kinds)} resources sent, {len(resources)} listed")
    made = Counter(kind for name, kind in kinds.items() if name in listed)
    not_made = Counter(kind for name, kind in kinds.items() if name not in listed)
    unexplained = set(not_made) - set(NOT_MADE_BY_MOTO)
    if unexplained:
        raise RuntimeError(f"moto did not make {sorted(unexplained)}: say how they are checked")
    return dict(sorted(made.items())), not_made


def _check_outputs(sam: dict[str, Any], outputs: dict[str, str]) -> None:
    missing = [name for name in sam.get("Outputs", {}) if not outputs.get(name)]
    if missing:
        raise RuntimeError(f"outputs missing: {missing}")


def _check_api(clients: Callable[[str], Any], template: dict[str, Any], stack: str) -> int:
    """Import the RestApi's Body, as CloudFormation would, into the RestApi the stack made,
    deploy it to the stage the template names, and check every route of the Body: imported,
    integrated with a function the stack created, and guarded by an authorizer that is one."""
    resources = template["Resources"]
    (api,) = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    names = _names(clients, stack)
    body = _resolve(api["Properties"]["Body"], names)
    rest_api = names["RestAPI"]
    # moto's importer reads the paths, methods and integrations (the same in Swagger 2.0 and
    # OpenAPI 3) but takes only an OpenAPI 3 document: the version is all that is changed
    imported_body = {"openapi": "3.0.1", **{k: v for k, v in body.items() if k != "swagger"}}
    apigateway = clients("apigateway")
    apigateway.put_rest_api(restApiId=rest_api, mode="overwrite", body=json.dumps(imported_body))
    (stage,) = [
        r["Properties"]["StageName"]
        for r in resources.values()
        if r["Type"] == "AWS::ApiGateway::Stage"
    ]
    apigateway.create_deployment(restApiId=rest_api, stageName=stage)
    pages = apigateway.get_paginator("get_resources").paginate(restApiId=rest_api)
    imported = {r["path"]: r for page in pages for r in page["items"]}
    functions = clients("lambda")
    authorizers = body.get("securityDefinitions", {})
    for scheme in authorizers.values():  # each a function the stack made
        uri = scheme["x-amazon-apigateway-authorizer"]["authorizerUri"]
        functions.get_function_configuration(FunctionName=_function_arn(uri))
    checked = 0
    for path, methods in body["paths"].items():
        for method, spec in methods.items():
            route = f"{method.upper()} {path}"
            resource = imported.get(path, {})
            if method.upper() not in resource.get("resourceMethods", {}):
                raise RuntimeError(f"{route}: not imported")
            found = apigateway.get_integration(
                restApiId=rest_api, resourceId=resource["id"], httpMethod=method.upper()
            )
            wanted = spec["x-amazon-apigateway-integration"]
            if (found.get("type"), found.get("uri")) != (wanted["type"], wanted["uri"]):
                raise RuntimeError(f"{route}: not integrated as the Body says")
            functions.get_function_configuration(FunctionName=_function_arn(wanted["uri"]))
            for requirement in spec.get("security", []):
                if not set(requirement) <= set(authorizers):
                    raise RuntimeError(f"{route}: an authorizer the Body does not define")
            checked += 1
    return checked


def _names(clients: Callable[[str], Any], stack: str) -> dict[str, str]:
    """What `${...}` in the template's Body stands for, in the stack moto created."""
    cloudformation, functions = clients("cloudformation"), clients("lambda")
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack)
    names: dict[str, str] = {}
    for page in pages:
        for r in page["StackResourceSummaries"]:
            names[r["LogicalResourceId"]] = r["PhysicalResourceId"]
            if r["ResourceType"] == "AWS::Lambda::Function":
                found = functions.get_function_configuration(FunctionName=r["PhysicalResourceId"])
                names[f"{r['LogicalResourceId']}.Arn"] = found["FunctionArn"]
    region = functions.meta.region_name
    names.update(
        {"AWS::Partition": "aws", "AWS::Region": region, "AWS::URLSuffix": "amazonaws.com"}
    )
    return names


def _resolve(value: Any, names: dict[str, str]) -> Any:
    """The Body with each `Fn::Sub` worked out (the only intrinsic function it holds)."""
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"}:
            return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], value["Fn::Sub"])
        return {k: _resolve(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, names) for v in value]
    return value


def _function_arn(uri: str) -> str:
    """`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`."""
    return uri.split("/functions/", 1)[1].removesuffix("/invocations")


def _load_program(
    project: Path, brand: str, outputs: dict[str, str], endpoint: str, region: str
) -> str:
    """`loyalty deploy`'s last step: the starting program, stored in the table the stack made."""
    environment = {
        **os.environ,
        "LOYALTY_TABLE_NAME": outputs["TableName"],
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "rehearsal",
        "AWS_SECRET_ACCESS_KEY": "rehearsal",
    }
    done = subprocess.run(
        [LOYALTY, "program", "load", "--brand", brand, "--project-dir", str(project)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"the program did not load:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()
