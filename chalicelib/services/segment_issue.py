"""Use case (admin): a coupon template issued to a segment's members (定向发券), each once, as
one resumable run. The run keeps the segment's rules and the RFM cut points as they were when it
began, reads the members a page of the table's scan at a time, and writes its progress after
each page (guarded by its version: a second runner of the same campaign stops). Each coupon is
written with a once-only record (`campaign:<id>`) in its transaction, so a page done again after
a stop, or a second runner, never gives a member two."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ..contract.segments import CampaignRequest
from ..domain.coupons import CouponTemplate
from ..domain.errors import CouponOutOfStock, IdempotencyKeyReused, NotFound, ValidationFailed
from ..domain.guards import Rule, WriteRejected
from ..domain.idempotency import request_hash
from ..domain.members import Member
from ..domain.program import Program
from ..domain.segments import Rules, matches, profile_of
from ..store.coupons import CouponStore
from ..store.members import MemberStore
from ..store.once import OnceStore
from ..store.program import ProgramCache
from ..store.segments import Campaign, SegmentStore
from .shared import issuance, segmenting, writes
from .shared.segmenting import cuts_for, require_segment
from .shared.writes import Answer, Present

PAGE = 200
ONCE_KIND = "campaign"


class Needs(writes.Needs, issuance.Needs, segmenting.Needs, Protocol):
    coupons: CouponStore
    members: MemberStore
    once: OnceStore
    programs: ProgramCache
    segments: SegmentStore


def _begin(d: Needs, segment_id: str, request: CampaignRequest, fingerprint: str) -> Campaign:
    rules = require_segment(d, segment_id).segment.rules
    record = d.coupons.require_template(request.template_id)
    now = d.clock()
    reason = issuance.unissuable(d, record.template, now)
    if reason is not None:
        raise ValidationFailed(f"template {request.template_id}: {reason}", param="template_id")
    campaign = Campaign(
        campaign_id=request.campaign_id,
        segment_id=segment_id,
        template_id=request.template_id,
        request_hash=fingerprint,
        rules=rules.model_dump_json(),
        cuts=cuts_for(d, rules),
        status="running",
        after=None,
        counts={},
        started_at=now,
        updated_at=now,
    )
    uow = d.uow()
    d.segments.stage_campaign(uow, campaign)
    uow.commit()
    return campaign


def _give(
    d: Needs, campaign: Campaign, template: CouponTemplate, member: Member, now: datetime
) -> None:
    counts = campaign.counts
    uow = d.uow()
    try:
        issuance.stage_issue(
            d, uow, member.member_id, template, now, f"campaign:{campaign.campaign_id}"
        )
    except CouponOutOfStock:
        campaign.status = "out_of_stock"
        return
    d.once.stage(uow, member.member_id, ONCE_KIND, campaign.campaign_id, "", "")
    try:
        uow.commit()
    except WriteRejected as rejected:
        if rejected.broke(Rule.ONCE_IS_NEW):
            counts["already_issued"] = counts.get("already_issued", 0) + 1
        elif template.template_id in rejected.subjects(Rule.COUPON_STOCK):
            campaign.status = "out_of_stock"
        elif template.template_id in rejected.subjects(Rule.COUPON_LIMIT):
            counts["limit_reached"] = counts.get("limit_reached", 0) + 1
        else:
            raise
        return
    counts["issued"] = counts.get("issued", 0) + 1


def _page(d: Needs, program: Program, campaign: Campaign, template: CouponTemplate) -> None:
    now = d.clock()
    today = now.astimezone(program.zone).date()
    rules = Rules.model_validate_json(campaign.rules)
    found, after = d.members.scan(after=campaign.after, limit=PAGE)
    counts = campaign.counts
    for member in found:
        counts["members_read"] = counts.get("members_read", 0) + 1
        if not matches(rules, profile_of(member, program, today), campaign.cuts):
            continue
        counts["matched"] = counts.get("matched", 0) + 1
        _give(d, campaign, template, member, now)
        if campaign.status != "running":
            break
    campaign.after = after
    campaign.updated_at = now
    if after is None and campaign.status == "running":
        campaign.status = "finished"
    if campaign.status != "running":
        campaign.finished_at = now


def issue(
    d: Needs, segment_id: str, request: CampaignRequest, present: Present[Campaign]
) -> Answer:
    """Begin the campaign, or go on with it, for up to `max_pages` pages; the same campaign id
    with another segment or template is refused."""
    program = d.programs.require()
    fingerprint = request_hash("campaign", [segment_id, request.campaign_id, request.template_id])
    campaign = d.segments.campaign(request.campaign_id)
    created = campaign is None
    if campaign is None:
        try:
            campaign = _begin(d, segment_id, request, fingerprint)
        except WriteRejected:  # another call began it meanwhile
            campaign = d.segments.campaign(request.campaign_id)
            created = False
            if campaign is None:
                raise
    if campaign.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            f"campaign {request.campaign_id} issues {campaign.template_id} to segment "
            f"{campaign.segment_id}",
            param="campaign_id",
        )
    template = d.coupons.require_template(campaign.template_id).template
    for _ in range(request.max_pages):
        if campaign.status != "running":
            break
        _page(d, program, campaign, template)
        uow = d.uow()
        d.segments.stage_campaign(uow, campaign)
        try:
            uow.commit()
        except WriteRejected:  # another runner moved it on: its progress stands
            campaign = d.segments.campaign(request.campaign_id) or campaign
            break
    return Answer(present(campaign), created=created)


def status(d: Needs, segment_id: str, campaign_id: str) -> Campaign:
    campaign = d.segments.campaign(campaign_id)
    if campaign is None or campaign.segment_id != segment_id:
        raise NotFound(f"no campaign {campaign_id} of segment {segment_id}", param="campaign_id")
    return campaign
