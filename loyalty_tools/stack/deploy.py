"""The deployment of a packaged brand (`loyalty deploy`, `make deploy BRAND=…`): the code and
template to S3, one CloudFormation change set, executed and waited for. The real one needs AWS
credentials; `make deploy-rehearsal` runs this same code against moto's server (`rehearsal.py`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # roles; the SAM transform


Translate = Callable[[dict[str, Any]], dict[str, Any]]
Clients = Callable[[str], Any]  # a boto3 client by service name ("s3", "cloudformation")


def ship(
    clients: Clients,
    bucket: str,
    brand: str,
    stack: str,
    package_dir: Path,
    say: Callable[[str], None],
    translate: Translate | None = None,
) -> dict[str, str]:
    """Upload the package and create or update the stack; its outputs. `translate` turns the
    SAM template into what is sent (the rehearsal: plain CloudFormation, as AWS's transform
    makes it); without it CloudFormation runs the transform itself."""
    url = upload(clients("s3"), bucket, brand, package_dir, translate)
    return deploy_stack(clients("cloudformation"), stack, url, say)


def upload(
    s3: Any, bucket: str, brand: str, package_dir: Path, translate: Translate | None = None
) -> str:
    """Put `deployment.zip` in the bucket under its SHA-256, point every function's CodeUri at
    it, and put the template beside it (templates past 51,200 bytes must come from S3).
    Returns the template's URL."""
    code = (package_dir / "deployment.zip").read_bytes()
    key = f"loyalty-{brand}/{hashlib.sha256(code).hexdigest()}.zip"
    s3.put_object(Bucket=bucket, Key=key, Body=code)
    template = json.loads((package_dir / "sam.json").read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": key}
    if translate is not None:
        template = translate(template)
    body = json.dumps(template).encode()
    template_key = f"loyalty-{brand}/{hashlib.sha256(body).hexdigest()}.json"
    s3.put_object(Bucket=bucket, Key=template_key, Body=body)
    region = s3.meta.region_name
    host = "s3.amazonaws.com" if region == "us-east-1" else f"s3.{region}.amazonaws.com"
    return f"https://{bucket}.{host}/{template_key}"


def deploy_stack(
    cloudformation: Any, stack: str, template_url: str, say: Callable[[str], None]
) -> dict[str, str]:
    """Create or update `stack` through one change set; the stack's outputs."""
    try:
        cloudformation.describe_stacks(StackName=stack)
        kind = "UPDATE"
    except cloudformation.exceptions.ClientError:
        kind = "CREATE"
    name = f"loyalty-{kind.lower()}-{hashlib.sha256(template_url.encode()).hexdigest()[:12]}"
    cloudformation.create_change_set(
        StackName=stack,
        ChangeSetName=name,
        ChangeSetType=kind,
        TemplateURL=template_url,
        Capabilities=CAPABILITIES,
    )
    say(f"change set {name} ({kind.lower()}): waiting for CloudFormation to compute it")
    try:
        cloudformation.get_waiter("change_set_create_complete").wait(
            StackName=stack, ChangeSetName=name
        )
    except Exception:
        described = cloudformation.describe_change_set(StackName=stack, ChangeSetName=name)
        reason = described.get("StatusReason", "")
        if "didn't contain changes" not in reason and "No updates" not in reason:
            raise RuntimeError(f"the change set failed: {reason}") from None
        say("nothing to change (已是最新)")
        return _outputs(cloudformation, stack)
    cloudformation.execute_change_set(StackName=stack, ChangeSetName=name)
    say(f"{kind.lower()} of {stack} running: this takes a few minutes")
    waiter = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
    cloudformation.get_waiter(waiter).wait(
        StackName=stack, WaiterConfig={"Delay": 10, "MaxAttempts": 180}
    )
    return _outputs(cloudformation, stack)


def _outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
