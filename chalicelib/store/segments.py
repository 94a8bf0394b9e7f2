"""The merchant's segments (`SEGMENT`, sk the segment id), and the nightly RFM sample (`RFM`):
the cut points of the score quintiles and the profiles of the members read for them, from
which a segment's count is estimated without reading the membership."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from ..domain.guards import Guard, Rule
from ..domain.rfm import Cuts
from ..domain.segments import Campaign, Profile, Sample, Segment, SegmentRecord
from . import answers, keys
from .models import CampaignItem, RfmCutsItem, RfmSampleItem, SegmentItem
from .unit_of_work import UnitOfWork, dynamodb, get_or_none

MAX_SAMPLE_BYTES = 300_000  # of an item's 400 KB, compressed


def _record(item: SegmentItem) -> SegmentRecord:
    segment = Segment.model_validate_json(item.document)
    version = int(item.version)
    return SegmentRecord(
        segment.model_copy(update={"version": version}), version, item.created_at, item.updated_at
    )


class SegmentStore:
    def get(self, segment_id: str) -> SegmentRecord | None:
        item = get_or_none(SegmentItem, keys.SEGMENTS_PK, segment_id)
        return None if item is None else _record(item)

    def all(self) -> list[SegmentRecord]:
        with dynamodb():
            return [_record(item) for item in SegmentItem.query(keys.SEGMENTS_PK)]

    def stage_save(
        self, uow: UnitOfWork, segment: Segment, now: datetime, previous: SegmentRecord | None
    ) -> SegmentRecord:
        """Create (first time only) or replace, if still at the version read."""
        version = 1 if previous is None else previous.version + 1
        item = SegmentItem(
            pk=keys.SEGMENTS_PK,
            sk=segment.segment_id,
            segment_id=segment.segment_id,
            document=segment.model_copy(update={"version": None}).model_dump_json(),
            version=version,
            created_at=now if previous is None else previous.created_at,
            updated_at=now,
        )
        if previous is None:
            uow.put(Guard(Rule.SEGMENT_IS_NEW), item, SegmentItem.pk.does_not_exist())
        else:
            uow.put(Guard(Rule.SEGMENT_VERSION), item, SegmentItem.version == previous.version)
        return SegmentRecord(
            segment.model_copy(update={"version": version}), version, item.created_at, now
        )

    def stage_delete(self, uow: UnitOfWork, previous: SegmentRecord) -> None:
        item = SegmentItem(pk=keys.SEGMENTS_PK, sk=previous.segment.segment_id)
        uow.delete(Guard(Rule.SEGMENT_VERSION), item, SegmentItem.version == previous.version)

    # -- campaigns: a template issued to a segment ------------------------------------------

    def campaign(self, campaign_id: str) -> Campaign | None:
        item = get_or_none(CampaignItem, keys.CAMPAIGNS_PK, campaign_id)
        if item is None:
            return None
        found = msgspec.json.decode(item.document, type=Campaign)
        found.version = int(item.version)
        return found

    def stage_campaign(self, uow: UnitOfWork, campaign: Campaign) -> None:
        """Write the campaign's progress, if no other runner moved it since it was read."""
        expected = campaign.version
        campaign.version = expected + 1
        item = CampaignItem(
            pk=keys.CAMPAIGNS_PK,
            sk=campaign.campaign_id,
            document=msgspec.json.encode(campaign).decode(),
            version=campaign.version,
        )
        condition = (
            CampaignItem.pk.does_not_exist() if expected == 0 else CampaignItem.version == expected
        )
        uow.put(Guard(Rule.CAMPAIGN_VERSION), item, condition)

    # -- the nightly RFM sample ------------------------------------------------------------------

    def sample(self) -> Sample | None:
        item = get_or_none(RfmSampleItem, keys.RFM_PK, keys.RFM_SK)
        if item is None:
            return None
        return Sample(
            date.fromisoformat(item.business_date),
            msgspec.json.decode(item.cuts, type=Cuts),
            int(item.population),
            msgspec.json.decode(item.sample, type=list[Profile]),
            item.created_at,
        )

    def save_sample(self, sample: Sample) -> int:
        """Keep the sample (cut points from all of it); profiles are left out, the last half at a
        time, while they would not fit one item. Returns how many profiles were kept."""
        profiles = sample.profiles
        while len(answers.pack(msgspec.json.encode(profiles).decode())) > MAX_SAMPLE_BYTES:
            profiles = profiles[: len(profiles) // 2]
        with dynamodb():
            RfmSampleItem(
                pk=keys.RFM_PK,
                sk=keys.RFM_SK,
                business_date=sample.business_date.isoformat(),
                cuts=msgspec.json.encode(sample.cuts).decode(),
                population=sample.population,
                sample=msgspec.json.encode(profiles).decode(),
                created_at=sample.created_at,
            ).save()
            RfmCutsItem(
                pk=keys.RFM_PK,
                sk=keys.RFM_CUTS_SK,
                business_date=sample.business_date.isoformat(),
                cuts=msgspec.json.encode(sample.cuts).decode(),
            ).save()
        return len(profiles)

    def cuts(self) -> Cuts | None:
        """The last sample's cut points, without its profiles (0.5 RCU, whatever its size)."""
        item = get_or_none(RfmCutsItem, keys.RFM_PK, keys.RFM_CUTS_SK)
        return None if item is None else msgspec.json.decode(item.cuts, type=Cuts)
