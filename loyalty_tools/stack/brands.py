"""Brands as data: one Chalice stage per brand in `.chalice/config.json`, and the brand's own
folder `brands/<name>/` with its settings (`brand.json`) and its starting program and coupon
templates (`program.json`, `coupon-templates.json`), which `loyalty program load` stores."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from chalicelib.domain.program import known_zone

# A brand's name is its stage, and goes into every name the stack makes: the table
# `loyalty-<name>` (DynamoDB: 3–255 of [A-Za-z0-9_.-]), the stack `loyalty-<name>`
# (CloudFormation: a letter, then letters, digits, hyphens), queues `loyalty-<name>-webhooks-dlq`
# (SQS: 80), functions `loyalty-<name>-webhooks` (Lambda: 64) and the secret path. Lower case
# letters, digits and single hyphens, 2 to 32 characters, meet all of them.
NAME = re.compile(r"^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,31}$")
REGION = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$")
BRANDS_DIR = "brands"


class BrandExists(Exception):
    pass


class BrandSettings(BaseModel):
    """What a brand's stack is made with (`brands/<name>/brand.json`)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    currency: str = Field(description="ISO 4217 code of the brand's money, e.g. CNY")
    timezone: str = Field(description="IANA zone of the brand's business days, e.g. Asia/Shanghai")
    region: str = Field("us-east-1", description="the AWS region the stack is deployed to")
    log_retention_days: int = 30
    tracing: bool = Field(False, description="X-Ray tracing for the stage's functions and API")
    alarm_email: EmailStr | None = Field(None, description="subscribed to the stack's alarms")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(
                "a brand name is 2 to 32 lower-case letters, digits and single hyphens, "
                "starting with a letter (it names the stage, table, stack and queues)"
            )
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        import pycountry  # ISO 4217, kept by the pycountry project (the CLI only)

        if pycountry.currencies.get(alpha_3=value.upper()) is None:
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (CNY, USD, EUR, …)")
        return value.upper()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not REGION.match(value):
            raise ValueError(f"{value!r} is not an AWS region name (cn-north-1, us-east-1, …)")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        allowed = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827}
        if value not in allowed:
            raise ValueError(f"CloudWatch keeps logs for one of {sorted(allowed)} days")
        return value

    @property
    def table_name(self) -> str:
        return f"loyalty-{self.name}"

    @property
    def stack_name(self) -> str:
        return f"loyalty-{self.name}"


def _config_path(project: Path) -> Path:
    return project / ".chalice" / "config.json"


def _folder(project: Path, name: str) -> Path:
    return project / BRANDS_DIR / name


def stage_config(brand: BrandSettings) -> dict[str, object]:
    return {
        "api_gateway_stage": "v1",
        "xray": brand.tracing,
        "environment_variables": {
            "LOYALTY_BRAND": brand.name,
            "LOYALTY_TABLE_NAME": brand.table_name,
        },
    }


def add(project: Path, brand: BrandSettings, program: str, templates: str) -> Path:
    """Add the brand's stage and folder; refuses a brand that exists in either."""
    config_path = _config_path(project)
    config = json.loads(config_path.read_text())
    folder = _folder(project, brand.name)
    if brand.name in config.get("stages", {}) or folder.exists():
        where = f".chalice/config.json, {folder}"
        raise BrandExists(f"the brand {brand.name!r} exists already ({where})")
    folder.mkdir(parents=True)
    (folder / "brand.json").write_text(brand.model_dump_json(indent=2) + "\n")
    (folder / "program.json").write_text(program)
    (folder / "coupon-templates.json").write_text(templates)
    config.setdefault("stages", {})[brand.name] = stage_config(brand)
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    return folder


def load(project: Path, name: str) -> BrandSettings:
    path = _folder(project, name) / "brand.json"
    if not path.exists():
        raise FileNotFoundError(f"no brand {name!r}: add it with `loyalty brand add {name} …`")
    return BrandSettings.model_validate_json(path.read_text())


def names(project: Path) -> list[str]:
    """Every brand: the stages of the config that have a brand folder (`dev` is `make dev`'s)."""
    stages = json.loads(_config_path(project).read_text()).get("stages", {})
    return sorted(n for n in stages if (_folder(project, n) / "brand.json").exists())
