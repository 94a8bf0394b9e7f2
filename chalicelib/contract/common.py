"""What every part of the contract shares: the request and response bases (unknown fields refused,
strict types), the id, amount and currency types, a basket line, the error body."""

import re
from collections.abc import Callable
from typing import Annotated, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

MAX_AMOUNT = 10**12  # minor units; anything larger is a client bug, not a purchase

OPENID = re.compile(r"[A-Za-z0-9_-]{6,128}")

OpenId = Annotated[
    str,
    Field(
        min_length=6,
        max_length=128,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the id a WeChat or Alipay mini-program has for the person (OpenID)",
    ),
]

OrderId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:#/-]+$")]

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. CNY")]

Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT, description="minor units (cents/分)")]


class Request(BaseModel):
    # strict: "12" is not the number 12; a storefront sending strings has a bug worth seeing.
    model_config = ConfigDict(
        extra="forbid", strict=True, str_strip_whitespace=True, defer_build=True
    )


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ItemIn(Request):
    sku: str | None = Field(None, min_length=1, max_length=64)
    category: str | None = Field(None, min_length=1, max_length=64)
    quantity: int = Field(1, ge=1, le=100_000)
    amount: Amount = Field(description="what was paid for this line, minor units")


class ErrorBody(Response):
    type: str
    code: str
    message: str
    param: str | None


class ErrorOut(Response):
    error: ErrorBody


T = TypeVar("T")


def as_json(presenter: Callable[[T], BaseModel]) -> Callable[[T], str]:
    """A presenter as a use case takes it (`services.shared.writes.Present`): the domain value
    to the JSON the route answers with, and a replay answers again byte for byte."""
    return lambda value: presenter(value).model_dump_json()
