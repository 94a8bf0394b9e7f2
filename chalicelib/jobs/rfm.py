"""The nightly RFM job on the runner: the score quintiles of the brand's buyers, from a sample.

It reads one segment of a parallel scan of the member items, sized so that the segment holds
about `rfm.sample_size` members (all of them, in a brand smaller than that), chosen by the date
so a re-run reads the same members. From their recency, frequency and monetary value as of the
date it keeps the four cut points of each measure, and the members' profiles, from which a
segment's count is estimated (`services.segments`). Its cost follows the sample, not the
membership: a brand of a million members reads about 1/500 of its table a night."""

import zlib

from ..domain import rfm
from ..domain.segments import Profile, profile_of
from ..store.segments import Sample
from .runner import Job, Night, no_pages, no_partitions


def sample_plan(population: int, size: int, day: str) -> tuple[int, int]:
    """(segment, total segments) of the scan that holds about `size` of `population` members."""
    total = max(1, -(-population // size))
    return zlib.crc32(day.encode()) % total, total


def _sample(night: Night) -> None:
    deps, rules = night.deps, night.program.rfm
    if night.day < night.now.astimezone(night.program.zone).date():
        night.counts["superseded"] = 1  # a missed night: only today's sample counts
        return
    population = deps.kpis.counts().get("members", 0)
    segment, total = sample_plan(population, rules.sample_size, night.day.isoformat())
    profiles: list[Profile] = []
    after: str | None = None
    while len(profiles) < rules.sample_size:
        found, after = deps.members.scan(segment, total, after, limit=rules.sample_size)
        profiles += [profile_of(m, night.program, night.day) for m in found]
        night.counts["scan_pages"] += 1
        if after is None:
            break
    profiles = profiles[: rules.sample_size]
    cuts = rfm.cuts(rfm.Values(p.recency_days, p.frequency, p.monetary) for p in profiles)
    night.counts["members_sampled"] = len(profiles)
    night.counts["buyers_sampled"] = sum(1 for p in profiles if p.recency_days is not None)
    night.counts["population"] = population
    night.counts["scan_segments"] = total
    if not night.dry_run:
        kept = deps.segments.save_sample(Sample(night.day, cuts, population, profiles, night.now))
        night.counts["members_kept"] = kept


RFM = Job(
    name="rfm",
    when="on",
    partitions=no_partitions,
    handle=no_pages,
    changed="members_sampled",
    first_run_days=0,
    whole=_sample,
)
