"""Settings from the environment (one stack per brand), read once per warm Lambda."""

import os
from collections.abc import Mapping
from functools import cache

from pydantic import BaseModel, ConfigDict, SecretStr

PREFIX = "LOYALTY_"
REGION_VARIABLES = ("LOYALTY_REGION", "AWS_REGION", "AWS_DEFAULT_REGION")


class Settings(BaseModel):
    """Each field from `LOYALTY_<FIELD>` (the region also from AWS_REGION / AWS_DEFAULT_REGION),
    validated and converted by pydantic; built by `from_environment`."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    brand: str = "demo"
    table_name: str = "loyalty-demo"
    region: str = "us-east-1"
    # The brand's secret for HMAC fingerprints of phone numbers and emails (never a bare hash).
    pii_key: SecretStr = SecretStr("")
    # In AWS: the Secrets Manager secret holding it (the stack generates it), read on first use.
    pii_secret_arn: str | None = None
    # False for the functions that never fingerprint or seal (the authorizer, the stream
    # consumer, the nightly jobs): they start without the key, and would refuse to use one.
    pii_key_needed: bool = True
    program_cache_seconds: float = 30.0
    max_body_bytes: int = 64 * 1024
    idempotency_ttl_hours: int = 24 * 7
    write_attempts: int = 8
    # Where events go: the brand's EventBridge bus and the stream consumer's dead-letter queue
    # (unset locally: events are kept for pulling, and a poison record is only logged).
    event_bus: str | None = None
    stream_dlq_url: str | None = None
    # Where webhook delivery attempts wait (SQS; unset: the process's own queue, as `make dev`),
    # and whether plain-http loopback receivers are allowed (only for trying locally).
    webhook_queue_url: str | None = None
    allow_loopback_webhooks: bool = False
    # Refused coupon codes one API key may send per minute before it gets 429s.
    coupon_failures_per_minute: int = 20

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        values: dict[str, str] = {}
        for name in cls.model_fields:
            if name == "region":
                found = next((environ[v] for v in REGION_VARIABLES if environ.get(v)), None)
            else:
                found = environ.get(PREFIX + name.upper())
            if found is not None:
                values[name] = found
        return cls.model_validate(values)


MIN_PII_KEY = 16


def pii_key_problem(key: str, brand: str) -> str | None:
    """Why the brand's PII key is unusable, or None: without it phone fingerprints would be a
    bare hash, which all 10^10 phone numbers brute-force in minutes."""
    if len(key) >= MIN_PII_KEY:
        return None
    return (
        f"LOYALTY_PII_KEY must be set to the brand's secret ({MIN_PII_KEY}+ characters; in AWS "
        f"the stack generates it in Secrets Manager as loyalty/{brand}/pii-key and passes its "
        "ARN as LOYALTY_PII_SECRET_ARN)"
    )


@cache
def settings() -> Settings:
    return Settings.from_environment()
