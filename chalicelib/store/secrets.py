"""The brand's PII key: from the environment (local, tests) or, in AWS, from the Secrets Manager
secret the stack generated, read once on first use by the functions that fingerprint or seal
(the API, the webhook sender), so the others never need the permission."""

from __future__ import annotations

from msgspec import Struct, field

from ..domain.errors import Misconfigured
from ..settings import pii_key_problem


class PiiKey(Struct):
    brand: str
    value: str = ""  # LOYALTY_PII_KEY
    secret_arn: str | None = None  # LOYALTY_PII_SECRET_ARN: wins over `value` when set
    region: str = "us-east-1"
    _resolved: bytes | None = field(default=None)

    def get(self) -> bytes:
        if self._resolved is None:
            key = self._read_secret() if self.secret_arn else self.value
            problem = pii_key_problem(key, self.brand)
            if problem:
                raise Misconfigured(problem)
            self._resolved = key.encode()
        return self._resolved

    def _read_secret(self) -> str:
        import boto3  # the functions that never need the key never load the client

        client = boto3.client("secretsmanager", region_name=self.region)
        return str(client.get_secret_value(SecretId=self.secret_arn)["SecretString"])
