"""Settings from the environment (one stack per brand), read once per warm Lambda."""

from __future__ import annotations

from functools import cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOYALTY_", extra="ignore")

    brand: str = "demo"
    table_name: str = "loyalty-demo"
    region: str = Field(
        "us-east-1",
        validation_alias=AliasChoices("LOYALTY_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    # The brand's secret for HMAC fingerprints of phone numbers and emails (never a bare hash).
    pii_key: SecretStr = SecretStr("")
    program_cache_seconds: float = 30.0
    max_body_bytes: int = 64 * 1024
    idempotency_ttl_hours: int = 24 * 7
    write_attempts: int = 8
    # Refused coupon codes one API key may send per minute before it gets 429s.
    coupon_failures_per_minute: int = 20


MIN_PII_KEY = 16


def pii_key_problem(key: str, brand: str) -> str | None:
    """Why the brand's PII key is unusable, or None: without it phone fingerprints would be a
    bare hash, which all 10^10 phone numbers brute-force in minutes."""
    if len(key) >= MIN_PII_KEY:
        return None
    return (
        f"LOYALTY_PII_KEY must be set to the brand's secret ({MIN_PII_KEY}+ characters; in AWS "
        f"the stack reads it from Secrets Manager at loyalty/{brand}/pii-key)"
    )


@cache
def settings() -> Settings:
    return Settings()
