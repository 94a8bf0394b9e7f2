"""Logs and metrics in the formats CloudWatch already reads, through Powertools for AWS Lambda.

- `logger`: Powertools' `Logger`, JSON lines, one per event. It is the parent of every
  `loyalty.*` stdlib logger in the code, so `logging.getLogger("loyalty.jobs")` lines come out
  in the same JSON with the same keys (the correlation id of the request or run they belong to).
- `metrics`: Powertools' `Metrics`, CloudWatch embedded metric format (EMF): printed as one log
  line per flush, which CloudWatch turns into metrics with no API call and no extra permission.

Nothing personal goes into either: ids, routes, statuses, counts and durations only (the test
`tests/api/test_logs_api.py` drives every route with a phone, an email and a name and looks for
them in every line). Only `aws_lambda_powertools.logging` and `.metrics` are imported; the slim
package leaves out the parts this code never loads (`loyalty_tools.packaging`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit

SERVICE = "loyalty"
NAMESPACE = "Loyalty"

# The names in the metric catalogue (README "Logs and metrics").
PURCHASES = "Purchases"
POINTS_EARNED = "PointsEarned"
REDEMPTIONS = "Redemptions"
POINTS_REDEEMED = "PointsRedeemed"
COUPON_REFUSALS = "CouponRefusals"
JOB_PAGES = "JobPages"
JOB_RUNS_FAILED = "JobRunsFailed"

# The level from POWERTOOLS_LOG_LEVEL (INFO unless set), as Powertools documents.
logger = Logger(service=SERVICE)
if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    # In Lambda the runtime's own handler sits on the root logger: one line per event, not two.
    logging.getLogger(SERVICE).propagate = False  # the stdlib logger Powertools' writes with
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def start(brand: str, correlation_id: str | None) -> None:
    """Begin one request or run: every line after this names the brand and the correlation id
    (API Gateway's request id for a request, the Lambda request id elsewhere)."""
    logger.clear_state()
    logger.append_keys(brand=brand)
    logger.set_correlation_id(correlation_id)
    metrics.set_default_dimensions(brand=brand)


def count(name: str, value: int = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush() -> None:
    """Write the metrics added since the last flush as one EMF line (nothing when none were)."""
    if metrics.metric_set:
        metrics.flush_metrics()
        # With POWERTOOLS_METRICS_DISABLED, Powertools 3.37 writes nothing here but keeps the
        # values, and prints them anyway once 100 have piled up: drop them.
        metrics.clear_metrics()


@contextmanager
def invocation(brand: str, context: Any) -> Iterator[None]:
    """One invocation of a function that is not the API (stream, webhooks, jobs): its Lambda
    request id as correlation id, and its metrics flushed however it ends."""
    start(brand, getattr(context, "aws_request_id", None))
    try:
        yield
    finally:
        flush()


def info(message: str, **keys: Any) -> None:
    logger.info(message, extra=keys)


def request_line(route: str, method: str, status: int, duration_ms: float, **keys: Any) -> None:
    """The one line each API request leaves: the route template (never the filled-in path, so
    no value a caller typed appears), the status and the time it took."""
    fields: Mapping[str, Any] = {
        "route": route,
        "method": method,
        "status": status,
        "duration_ms": round(duration_ms, 1),
        **keys,
    }
    logger.info("request", extra=dict(fields))
