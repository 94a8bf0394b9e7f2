"""Velocity signals (风控): what is counted, under which subject, and when a count signals.
Signals never block a write: they are counted beside it and read by the merchant."""

from __future__ import annotations

from datetime import datetime
from ipaddress import IPv4Address, IPv6Address, ip_network

from msgspec import Struct

ENROLLMENTS_PER_DEVICE = "enrollments_per_device"
ENROLLMENTS_PER_IP_RANGE = "enrollments_per_ip_range"
REDEMPTIONS_PER_MEMBER = "redemptions_per_member"
REFUNDS_AFTER_REDEEM = "refunds_after_redeem_per_member"
MEMBER_KINDS = (REDEMPTIONS_PER_MEMBER, REFUNDS_AFTER_REDEEM)


def ip_range(ip: IPv4Address | IPv6Address) -> str:
    """The network a client address is counted by: IPv4 /24, IPv6 /48."""
    prefix = 24 if ip.version == 4 else 48
    return str(ip_network(f"{ip}/{prefix}", strict=False))


def shared_subjects(device: str | None, network: str | None) -> list[tuple[str, str, str]]:
    """What a new member shares with other enrolments: (kind, subject key, subject as the
    merchant sees it: a device fingerprint's prefix, never the storefront's device id)."""
    found = []
    if device:
        found.append((ENROLLMENTS_PER_DEVICE, f"DEVICE#{device}", f"device:{device[:16]}"))
    if network:
        found.append((ENROLLMENTS_PER_IP_RANGE, f"IPNET#{network}", f"ip:{network}"))
    return found


def reached(before: int, after: int, threshold: int | None) -> bool:
    """Whether a count that went from `before` to `after` reached the threshold just now."""
    return threshold is not None and before < threshold <= after


class Signal(Struct, frozen=True):
    kind: str
    day: str
    subject: str
    threshold: int
    member_id: str
    created_at: datetime
