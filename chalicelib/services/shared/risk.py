"""Velocity signals (风控) as the use cases count them, inside their own transaction: one more
for the subject today, and the signal when that one reaches the program's threshold. They never
block the write; a program that sets a threshold to null counts nothing for it."""

from __future__ import annotations

from datetime import datetime
from ipaddress import IPv4Address, IPv6Address, ip_network

from ...domain.program import Program
from ...store import keys
from ...store.risk import Signal
from ...store.unit_of_work import UnitOfWork
from ..deps import Deps

ENROLLMENTS_PER_DEVICE = "enrollments_per_device"
ENROLLMENTS_PER_IP_RANGE = "enrollments_per_ip_range"
REDEMPTIONS_PER_MEMBER = "redemptions_per_member"
REFUNDS_AFTER_REDEEM = "refunds_after_redeem_per_member"


def ip_range(ip: IPv4Address | IPv6Address) -> str:
    """The network a client address is counted by: IPv4 /24, IPv6 /48."""
    prefix = 24 if ip.version == 4 else 48
    return str(ip_network(f"{ip}/{prefix}", strict=False))


def stage_velocity(
    deps: Deps,
    uow: UnitOfWork,
    program: Program,
    now: datetime,
    kind: str,
    subject_pk: str,
    subject: str,
    member_id: str,
) -> None:
    threshold = getattr(program.risk, kind)
    if threshold is None:
        return
    day = now.astimezone(program.zone).date()
    read = deps.risk.count(subject_pk, day, kind)
    deps.risk.stage_count(uow, subject_pk, day, kind, read, program.zone)
    if read + 1 == threshold:
        signal = Signal(kind, day.isoformat(), subject, threshold, member_id, now)
        deps.risk.stage_signal(uow, signal, program.zone)


def stage_member_velocity(
    deps: Deps, uow: UnitOfWork, program: Program, now: datetime, kind: str, member_id: str
) -> None:
    stage_velocity(deps, uow, program, now, kind, keys.member_pk(member_id), member_id, member_id)


def stage_enrollment(
    deps: Deps,
    uow: UnitOfWork,
    program: Program,
    now: datetime,
    member_id: str,
    device: str | None,
    client_ip: IPv4Address | IPv6Address | None,
) -> None:
    """A new member: counted by the keyed fingerprint of the storefront's device id, and by the
    client's network."""
    if device:
        subject = f"device:{device[:16]}"
        stage_velocity(
            deps, uow, program, now, ENROLLMENTS_PER_DEVICE, f"DEVICE#{device}", subject, member_id
        )
    if client_ip is not None:
        network = ip_range(client_ip)
        stage_velocity(
            deps,
            uow,
            program,
            now,
            ENROLLMENTS_PER_IP_RANGE,
            f"IPNET#{network}",
            f"ip:{network}",
            member_id,
        )
