"""What a member's profile may hold: free text a person typed (a name, a label, an attribute)
is kept as typed, emoji and all, within limits that keep one member item small; control
characters and lone surrogates (which no store can encode) are refused."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

MAX_NAME = 100
MAX_TAGS = 20
MAX_TAG = 32
MAX_ATTRIBUTES = 20
MAX_ATTRIBUTE_VALUE = 256
MAX_ATTRIBUTES_BYTES = 4096  # their JSON, so a member item stays well under DynamoDB's 400 KB
ATTRIBUTE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")

Gender = Literal["female", "male", "other", "undisclosed"]


def printable(value: str) -> str:
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cs")), None)
    if bad is not None:
        raise ValueError(f"must not contain control characters (found U+{ord(bad):04X})")
    return value


def _unique(tags: list[str]) -> list[str]:
    seen = {t.casefold() for t in tags}
    if len(seen) != len(tags):
        raise ValueError("each tag once")
    return tags


def _attributes(values: dict[str, str]) -> dict[str, str | None]:
    for key in values:
        if not ATTRIBUTE_KEY.match(key):
            raise ValueError(
                f"attribute key {key[:40]!r}: a letter, then up to 39 letters, digits, _ . -"
            )
    size = len(json.dumps(values, ensure_ascii=False).encode())
    if size > MAX_ATTRIBUTES_BYTES:
        raise ValueError(f"{size} bytes of attributes; at most {MAX_ATTRIBUTES_BYTES}")
    return values  # type: ignore[return-value]


Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(printable)]
Tag = Annotated[str, Field(min_length=1, max_length=MAX_TAG), AfterValidator(printable)]
Tags = Annotated[
    list[Tag],
    Field(max_length=MAX_TAGS, description="the merchant's labels (admin keys only)"),
    AfterValidator(_unique),
]
AttributeValue = Annotated[str, Field(max_length=MAX_ATTRIBUTE_VALUE), AfterValidator(printable)]
Attributes = Annotated[
    dict[str, AttributeValue],
    Field(max_length=MAX_ATTRIBUTES, description="up to 20 string values, 4 KB in all"),
    AfterValidator(_attributes),
]
# In a PATCH, JSON Merge Patch (RFC 7396): a key set to null is removed.
AttributesPatch = Annotated[
    dict[str, AttributeValue | None],
    Field(max_length=MAX_ATTRIBUTES, description="merged into the member's; null removes a key"),
    AfterValidator(_attributes),
]
Locale = Annotated[
    str,
    Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$", max_length=35),
    Field(description="BCP 47, e.g. zh-CN, en"),
]


def birthday_problem(birthday: date | None, today: date) -> str | None:
    if birthday is not None and birthday > today:
        return "birthday: must not be in the future"
    return None


def merged(current: dict[str, str], patch: dict[str, str | None]) -> dict[str, str]:
    """RFC 7396 on a flat map: set what has a value, remove what is null."""
    out = dict(current)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out
