"""Coupons (优惠券): templates, unguessable codes, and what a coupon takes off a basket."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Annotated, Literal

from msgspec import Struct
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .bounds import Instant
from .earning import Basket
from .errors import CouponLimitReached, CouponOutOfStock
from .guards import Rule, WriteRejected
from .money import money

# Crockford-like, without the look-alikes 0/O, 1/I/L and U: easy to read aloud at a till.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20  # 20 symbols of 30: 98 bits, well above the 80 the threat model asks for
GROUP = 4


def symbols_from(random_bytes: bytes, length: int) -> str:
    """`length` symbols of ALPHABET from random bytes (from `secrets`)."""
    number = int.from_bytes(random_bytes, "big")
    symbols = []
    for _ in range(length):
        number, digit = divmod(number, len(ALPHABET))
        symbols.append(ALPHABET[digit])
    return "".join(symbols)


def code_from(random_bytes: bytes) -> str:
    """Render random bytes (from `secrets`) as a grouped code: `K7MQ-2X9R-...`."""
    raw = symbols_from(random_bytes, CODE_LENGTH)
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


CODE_BYTES = 16  # 128 random bits in, 98 bits rendered


def normalise_code(raw: str) -> str | None:
    """What a cashier typed, as the stored form; None if it cannot be a code at all."""
    cleaned = "".join(ch for ch in raw.upper() if ch not in "- ")
    if len(cleaned) == CODE_LENGTH and all(ch in ALPHABET for ch in cleaned):
        return "-".join(cleaned[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))
    if 4 <= len(cleaned) <= 32 and cleaned.isascii() and cleaned.isalnum():
        return cleaned  # a brand's shared code (not secret: any letters and digits)
    return None


class FixedValidity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    kind: Literal["fixed"] = "fixed"
    starts_at: Instant
    ends_at: Instant

    @model_validator(mode="after")
    def _ordered(self) -> "FixedValidity":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


# A slice of a template's stock is one item in a partition of its own, taken from by single
# conditional writes: about 400 claims a second each leaves room under DynamoDB's 1,000 write
# units a second per partition; 40 slices (16,000 claims a second) still fit one transaction
# when the stock is changed.
CLAIMS_PER_SLICE = 400
MAX_SLICES = 40


def split_stock(left: int, slices: int) -> list[int]:
    """`left` units over `slices`, as even as whole units go (the first get the remainder)."""
    share, extra = divmod(left, slices)
    return [share + (1 if n < extra else 0) for n in range(slices)]


class RelativeValidity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    kind: Literal["relative"] = "relative"
    days: int = Field(30, ge=1, le=3660)


Validity = Annotated[FixedValidity | RelativeValidity, Field(discriminator="kind")]


class CouponTemplate(BaseModel):
    """A coupon template as the admin writes it (`POST /v1/admin/coupon-templates`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    template_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    name: str = Field(min_length=1, max_length=80)
    kind: Literal["fixed", "percent", "free_shipping"]
    amount_off: int | None = Field(None, gt=0, le=10**9, description="fixed: minor units off")
    percent_off: int | None = Field(None, ge=1, le=100, description="percent: 1-100")
    max_discount: int | None = Field(None, gt=0, description="percent: cap in minor units")
    min_spend: int = Field(0, ge=0, description="on the eligible items, minor units")
    categories: list[str] = Field(default_factory=list, max_length=100)
    skus: list[str] = Field(default_factory=list, max_length=500)
    validity: Validity = Field(default_factory=RelativeValidity)
    per_member_limit: int | None = Field(1, ge=1, le=1000, description="null: no limit")
    total_stock: int | None = Field(None, ge=0, le=10**9, description="null: unlimited")
    claims_per_second: int = Field(
        400,
        ge=1,
        le=MAX_SLICES * CLAIMS_PER_SLICE,
        description="抢券: the rate of claims a stocked template must take; its stock is split "
        f"into one slice per {CLAIMS_PER_SLICE} claims a second, each its own "
        "item and partition, so claims spread over them instead of queuing on one counter",
    )
    claimable: bool = Field(
        False,
        description="members may take one themselves (POST /v1/members/{id}/coupon-claims), "
        "a flash sale when the stock is limited",
    )
    stackable: bool = False
    shared_code: str | None = Field(
        None, min_length=4, max_length=32, description="one code every member may claim once"
    )
    points_price: int | None = Field(None, gt=0, description="points to exchange for one")
    return_on_refund: bool = Field(False, description="a full refund gives a used coupon back")

    @model_validator(mode="after")
    def _shape(self) -> "CouponTemplate":
        if self.kind == "fixed" and self.amount_off is None:
            raise ValueError("a fixed coupon needs amount_off")
        if self.kind == "percent" and self.percent_off is None:
            raise ValueError("a percent coupon needs percent_off")
        if self.kind != "fixed" and self.amount_off is not None:
            raise ValueError("amount_off belongs to fixed coupons")
        if self.kind != "percent" and (self.percent_off or self.max_discount):
            raise ValueError("percent_off and max_discount belong to percent coupons")
        return self

    @field_validator("shared_code")
    @classmethod
    def _shared_code_form(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normal = normalise_code(value)
        if normal is None or len(normal) == CODE_LENGTH:
            raise ValueError("a shared code is 4 to 32 letters and digits (not a personal code)")
        return normal

    @property
    def slice_count(self) -> int:
        """Slices the stock is split into (0: no stock to split)."""
        if self.total_stock is None:
            return 0
        return max(1, min(MAX_SLICES, -(-self.claims_per_second // CLAIMS_PER_SLICE)))

    def unissuable(self, now: datetime, issued: int | None = None) -> str | None:
        """Why no coupon can be issued from this template now, or None if one can; stock is
        checked when `issued` is given (running out is not a configuration mistake)."""
        if isinstance(self.validity, FixedValidity) and self.validity.ends_at <= now:
            return f"its validity ended at {self.validity.ends_at.isoformat()}"
        if issued is not None and self.total_stock is not None and issued >= self.total_stock:
            return "it is out of stock"
        return None

    def valid_window(self, issued_at: datetime) -> tuple[datetime, datetime]:
        if isinstance(self.validity, FixedValidity):
            return self.validity.starts_at, self.validity.ends_at
        return issued_at, issued_at + timedelta(days=self.validity.days)


class Coupon(Struct):
    """A coupon a member holds, with the terms it was issued with (a template change never
    changes an issued coupon). issued → redeemed on an order → issued again if released."""

    member_id: str
    code: str
    template: CouponTemplate
    status: str  # issued | redeemed
    source: str
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime
    order_id: str | None = None
    redeemed_at: datetime | None = None
    released_order_id: str | None = None
    released_at: datetime | None = None
    answer: str | None = None  # the stored answer of the last redeem/release

    @classmethod
    def issue(
        cls, member_id: str, template: CouponTemplate, now: datetime, source: str, code: str
    ) -> "Coupon":
        valid_from, valid_until = template.valid_window(now)
        return cls(member_id, code, template, "issued", source, now, valid_from, valid_until)

    def state(self, now: datetime) -> str:
        """What the member sees: usable, used or expired."""
        if self.status == "redeemed":
            return "used"
        return "expired" if now >= self.valid_until else "usable"

    def usable_at(self, now: datetime) -> bool:
        return self.status == "issued" and self.valid_from <= now < self.valid_until

    def redeemed_on(self, order_id: str) -> bool:
        return self.status == "redeemed" and self.order_id == order_id

    def released_from(self, order_id: str) -> bool:
        return self.status == "issued" and self.released_order_id == order_id

    def redeem(self, order_id: str, now: datetime) -> None:
        assert self.status == "issued", self.status
        self.status, self.order_id, self.redeemed_at = "redeemed", order_id, now

    def release(self, now: datetime) -> str:
        """Give it back (the order was cancelled or refunded): the order it was used on."""
        assert self.status == "redeemed", self.status
        order_id = self.order_id or ""
        self.status, self.order_id, self.redeemed_at = "issued", None, None
        self.released_order_id, self.released_at = order_id, now
        return order_id


class OrderCoupons(Struct, frozen=True):
    """The coupons used on one order: a non-stackable coupon has the order to itself."""

    order_id: str
    codes: tuple[str, ...] = ()
    exclusive: bool = False
    exists: bool = False

    def admits(self, template: CouponTemplate) -> bool:
        return not self.exclusive and (not self.codes or template.stackable)

    def adding(self, code: str, template: CouponTemplate) -> "OrderCoupons":
        return OrderCoupons(self.order_id, (*self.codes, code), not template.stackable, True)

    def without(self, codes: Iterable[str]) -> "OrderCoupons":
        gone = set(codes)
        return OrderCoupons(
            self.order_id, tuple(c for c in self.codes if c not in gone), False, True
        )


class Applicability(Struct, frozen=True):
    applies: bool
    reason: str
    discount: int
    free_shipping: bool = False


def applicability(template: CouponTemplate, basket: Basket) -> Applicability:
    """Pure: what the coupon takes off this basket, or why it does not apply.

    Restricted coupons count only the items of their categories/SKUs (a basket without items
    cannot qualify for them). Percentages round down to the minor unit, then the cap applies."""
    if template.categories or template.skus:
        eligible = sum(
            item.amount
            for item in basket.items
            if item.category in template.categories or item.sku in template.skus
        )
    else:
        eligible = basket.amount
    if eligible <= 0:
        return Applicability(False, "no eligible items in the basket", 0)
    if eligible < template.min_spend:
        short = money(template.min_spend - eligible, basket.currency)
        return Applicability(False, f"spend {short} more on eligible items", 0)
    if template.kind == "fixed":
        return Applicability(True, "applies", min(template.amount_off or 0, eligible))
    if template.kind == "percent":
        discount = eligible * (template.percent_off or 0) // 100
        if template.max_discount is not None:
            discount = min(discount, template.max_discount)
        return Applicability(True, "applies", discount)
    return Applicability(True, "applies", 0, free_shipping=True)


class TemplateRecord(Struct, frozen=True):
    template: CouponTemplate
    issued: int
    version: int
    created_at: datetime
    updated_at: datetime


OUT_OF_STOCK = "it is out of stock"


def skip_refused_rule_coupons(rejected: WriteRejected, skip: dict[str, str]) -> None:
    """Remember rule coupons whose stock or limit refused the write: the retry goes without."""
    for template_id in rejected.subjects(Rule.COUPON_STOCK):
        skip[template_id] = OUT_OF_STOCK
    for template_id in rejected.subjects(Rule.COUPON_LIMIT):
        skip[template_id] = "the member already holds as many as the template allows"


def refuse_issue(rejected: WriteRejected, template_id: str) -> None:
    """Say which of the template's counters refused an issue the caller asked for by name."""
    if template_id in rejected.subjects(Rule.COUPON_STOCK):
        raise CouponOutOfStock(f"template {template_id} is out of stock", param="template_id")
    if template_id in rejected.subjects(Rule.COUPON_LIMIT):
        raise CouponLimitReached(
            f"the member already holds the most coupons of {template_id} it allows",
            param="template_id",
        )
