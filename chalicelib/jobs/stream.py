"""The table's stream consumer: a thin handler around `events.publish.handle`, with the figures
across members (`aggregates`) kept first."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from chalice import Blueprint

from .. import observe
from ..aggregates import figures, risk
from ..domain.errors import Misconfigured
from ..domain.referrals import Referral
from ..events.publish import Report, handle
from ..services import referral_rewards
from ..services.deps import Deps, deps
from ..services.referral_rewards import FriendChange
from ..store.models import MemberItem
from ..store.stream import Change
from ..webhooks.delivery import fan_out

stream = Blueprint(__name__)
log = logging.getLogger("loyalty.events")
UTC = ZoneInfo("UTC")


# The event source (the table's stream, batches, bisect on error, the DLQ on failure, and a
# tumbling window, whose events name the stream shard) is in the merge template: Chalice's
# `on_dynamodb_record` wants a literal stream ARN at import.
@stream.lambda_function(name="stream_events")
def stream_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    d = deps()
    with observe.invocation(d.settings.brand, context):
        shard_id = event.get("shardId")
        if not shard_id:
            raise Misconfigured(
                "the stream's event source mapping has no tumbling window, so its events do not "
                "name their stream shard: the figures are kept per shard (TumblingWindowInSeconds)"
            )
        consume(d, event.get("Records", []), str(shard_id))
        # a tumbling window's function answers its state (none is kept between batches here)
        return {"state": {}, "batchItemFailures": []}


def referral_changes(changes: list[Change]) -> list[FriendChange]:
    """The friends whose referral a change moved (the referrer's side follows)."""
    found = []
    for change in changes:
        new, old = change.new, change.old
        if not isinstance(new, MemberItem):
            continue
        before = old.referral if isinstance(old, MemberItem) else None
        if new.referral is None or new.referral == before:
            continue
        found.append(
            FriendChange(
                friend_id=new.member_id,
                friend_version=int(new.version),
                device=new.device,
                before=msgspec.json.decode(before, type=Referral) if before else None,
                after=msgspec.json.decode(new.referral, type=Referral),
                at=new.updated_at,
            )
        )
    return found


def consume(d: Deps, records: list[dict[str, Any]], shard_id: str) -> Report:
    """One batch of one stream shard, as Lambda hands it over (and the local server's follower
    and the tests do): the figures across members first, then the events."""

    def aggregate(changes: list[Change]) -> None:
        program = d.programs.current()
        risk.observe(changes, program, d.risk)
        for friend in referral_changes(changes):
            referral_rewards.follow(d, friend)
        zone = program.zone if program is not None else UTC
        figures.keep(changes, shard_id, zone, d.aggregates, d.uow, d.clock, d.backoff)

    report = handle(
        records,
        brand=d.settings.brand,
        events=d.events,
        bus=d.bus,
        dead_letters=d.dead_letters,
        backoff=d.backoff,
        deliveries=lambda events: fan_out(
            events, webhooks=d.webhooks, queue=d.delivery_queue, now=d.clock()
        ),
        aggregate=aggregate,
    )
    log.info(
        "stream: %d records, %d events, %d published, %d already, %d parked, %d deliveries",
        report.records,
        report.events,
        report.published,
        report.already,
        report.parked,
        report.deliveries,
    )
    return report
