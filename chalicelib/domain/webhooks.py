"""Webhooks (Standard Webhooks 1.0): which URLs may receive them, which events an endpoint
takes, when a failed delivery is tried again, and what the secrets look like. No I/O here: the
caller resolves host names and draws the random numbers."""

import base64
import ipaddress
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from msgspec import Struct

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
# After the first attempt fails: the waits before attempts 2..7, each drawn with full jitter
# (uniformly from zero to the step), about 17.6 hours in all; then the delivery is parked.
RETRY_STEPS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
ATTEMPTS = len(RETRY_STEPS) + 1
TIMEOUT_SECONDS = 15  # a 2xx within this is a success; anything else is retried
OLD_SECRET_HOURS = 24  # after a rotation, the old secret signs beside the new one this long
ALL = "*"

# Cloud metadata endpoints, refused even where a range check would not catch them.
METADATA = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fd00:ec2::254/128"))


def new_secret(random_bytes: bytes) -> str:
    if len(random_bytes) != SECRET_BYTES:
        raise ValueError(f"a webhook secret is {SECRET_BYTES} random bytes")
    return SECRET_PREFIX + base64.b64encode(random_bytes).decode()


def url_shape_problem(url: str, *, allow_loopback: bool) -> str | None:
    """Why `url` cannot receive webhooks, judged on its text alone (None: fine so far)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as exc:
        return f"not a URL: {exc}"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an https:// URL"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    if parts.scheme == "http" and not (allow_loopback and _is_loopback_name(parts.hostname)):
        return "must be https (plain http only to this machine, when trying locally)"
    return None


def address_problem(address: str, *, allow_loopback: bool) -> str | None:
    """Why a resolved address must not be called (None: a public address)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in METADATA if network.version == ip.version):
        return f"{ip} is a link-local or cloud metadata address"
    if ip.is_loopback:
        return None if allow_loopback else f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return f"{ip} is a private or reserved address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def addresses_problem(addresses: Sequence[str], *, allow_loopback: bool) -> str | None:
    """Every address a name resolves to must be allowed: DNS may answer with any of them."""
    if not addresses:
        return "the host name does not resolve"
    for address in addresses:
        problem = address_problem(address, allow_loopback=allow_loopback)
        if problem:
            return problem
    return None


def wants(subscribed: Iterable[str], event_type: str) -> bool:
    subscribed = tuple(subscribed)
    return ALL in subscribed or event_type in subscribed


def retry_wait(failed_attempts: int, draw: float) -> timedelta | None:
    """How long to wait after `failed_attempts` failed attempts (1 = the first failed), with
    full jitter from `draw` in [0, 1); None: no attempt is left, park the delivery."""
    if not 1 <= failed_attempts <= len(RETRY_STEPS):
        return None
    step = RETRY_STEPS[failed_attempts - 1]
    return timedelta(seconds=round(step.total_seconds() * draw, 3))


def signing_secrets(
    current: str, previous: str | None, previous_until: datetime | None, now: datetime
) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the old one for 24 hours after
    a rotation."""
    found = [current]
    if previous and previous_until and now < previous_until:
        found.append(previous)
    return found


def _is_loopback_name(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Endpoint(Struct, frozen=True):
    webhook_id: str
    url: str
    events: tuple[str, ...]
    description: str
    enabled: bool
    secret: str  # sealed
    old_secret: str | None  # sealed
    old_secret_until: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class Delivery(Struct, frozen=True):
    delivery_id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    round: int
    last_code: int | None
    last_reason: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime
