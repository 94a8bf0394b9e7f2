"""Lambda, where a function needs another run of itself: the nightly function out of time."""

import json
from typing import Any


def invoke_async(function_arn: str, region: str, event: dict[str, Any]) -> None:
    """Invoke the function again, asynchronously (Lambda queues the event and retries it)."""
    import boto3  # only when a night needs more than one Lambda's time

    boto3.client("lambda", region_name=region).invoke(
        FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(event).encode()
    )
