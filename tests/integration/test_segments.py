"""RFM and segments: each member's recency, frequency and monetary value follow its purchases and
refunds; the nightly RFM job's cut points are the sample's quintiles; a segment's count from the
sample equals a brute-force filter over every member read back from the table."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.contract.members import EnrollOut, EnrollRequest
from chalicelib.domain import rfm
from chalicelib.domain.errors import SampleMissing
from chalicelib.domain.segments import Rules, estimate, matches, profile_of, scores_of
from chalicelib.jobs.rfm import sample_plan
from tests.helpers import buy, nightly, refund
from tests.presented import members, segments

MEMBERS = 14
TAGS = ("vip", "staff", "wholesale")


def _everyone(deps):
    found, after = deps.members.scan()
    while after is not None:
        more, after = deps.members.scan(after=after)
        found += more
    return found


@pytest.fixture
def shoppers(brand, clock):
    """Members who bought on different days over four months, some refunded, some tagged, some
    with a birthday; and one who never bought. Returns the day the history ends."""
    rng = random.Random(16)
    start = clock.now - timedelta(days=120)
    ids = []
    for i in range(MEMBERS):
        clock.now = start + timedelta(hours=i)
        tags = rng.sample(TAGS, rng.randint(0, 2))
        request = EnrollRequest(
            phone=f"1380013{i:04d}", tags=tags or None, birthday=date(1990, i % 12 + 1, 15)
        )
        answer = members.enroll(brand, request, None, scope="admin")
        ids.append(EnrollOut.model_validate_json(answer.body).member_id)
    for i, member_id in enumerate(ids[:-1]):  # the last never buys
        for n in range(1 + i % 3):
            clock.now = start + timedelta(days=rng.randint(0, 119), hours=1 + n)
            buy(brand, member_id, f"o-{i}-{n}", rng.randint(10, 400) * 100)
        if i % 4 == 0:
            refund(brand, member_id, f"o-{i}-0", 500)
    clock.now = start + timedelta(days=121)
    return ids


def test_a_members_values_follow_its_purchases_and_refunds(brand, clock):
    member_id = members.enroll(brand, EnrollRequest(phone="13800138000"), None)
    member_id = EnrollOut.model_validate_json(member_id.body).member_id
    buy(brand, member_id, "o-1", 10_000)
    clock.advance(days=3)
    buy(brand, member_id, "o-2", 4_000)
    refund(brand, member_id, "o-1", 2_500)
    clock.advance(days=5)
    program = brand.programs.require()
    today = clock().astimezone(program.zone).date()
    found = profile_of(brand.members.member(member_id), program, today)
    assert (found.recency_days, found.frequency, found.monetary) == (5, 2, 11_500)
    refund(brand, member_id, "o-2", 4_000)  # all of it: the order no longer counts
    found = profile_of(brand.members.member(member_id), program, today)
    assert (found.recency_days, found.frequency, found.monetary) == (5, 1, 7_500)  # still its last
    clock.advance(days=400)  # past the window: nothing left in it
    later = clock().astimezone(program.zone).date()
    found = profile_of(brand.members.member(member_id), program, later)
    assert (found.recency_days, found.frequency, found.monetary) == (None, 0, 0)


def test_segment_counts_equal_a_brute_force_filter_over_the_members(brand, clock, shoppers, pump):
    with pytest.raises(SampleMissing):
        segments.count(brand, Rules())
    pump()  # the members' count, which the sample scales to, comes off the stream
    night = nightly(brand, "rfm", clock())
    assert night.counts["members_sampled"] == MEMBERS and night.counts["scan_segments"] == 1
    program = brand.programs.require()
    today = clock().astimezone(program.zone).date()
    profiles = [profile_of(m, program, today) for m in _everyone(brand)]
    assert len(profiles) == MEMBERS
    cuts = rfm.cuts(rfm.Values(p.recency_days, p.frequency, p.monetary) for p in profiles)
    sample = brand.segments.sample()
    assert sample.cuts == cuts and sample.population == MEMBERS
    assert brand.segments.cuts() == cuts  # the small item the scores are read from
    rule_sets = [
        Rules(),
        Rules(tags_any=["vip"]),
        Rules(tags_all=["vip", "staff"]),
        Rules(tags_none=["staff"], purchased_within_days=30),
        Rules(not_purchased_for_days=60),
        Rules(r_min=4),
        Rules(f_min=3, m_min=3),
        Rules(rfm_segments=["champions", "loyal"]),
        Rules(rfm_segments=["prospect"]),
        Rules(birthday_months=[1, 2, 3], points_min=100),
        Rules(lifecycle=["dormant", "churned"]),
        Rules(tiers=["-"]),
    ]
    seen = set()
    for rules in rule_sets:
        expected = sum(1 for p in profiles if matches(rules, p, cuts))
        counted = segments.count(brand, rules)
        assert counted.members == expected, rules
        assert counted.whole_population_sampled and counted.sampled == MEMBERS
        seen.add(expected)
    assert len(seen - {0, MEMBERS}) >= 4  # the rules tell members apart
    assert segments.count(brand, Rules(rfm_segments=["prospect"])).members == 1
    by_segment = {s.segment: s.members for s in segments.overview(brand).segments}
    assert sum(by_segment.values()) == MEMBERS
    brute = {code: 0 for code in rfm.SEGMENT_NAMES}
    for p in profiles:
        brute[rfm.segment(scores_of(p, cuts))] += 1
    assert by_segment == brute


def test_the_sample_is_one_segment_of_a_scan_sized_to_the_sample():
    assert sample_plan(0, 2000, "2026-12-01") == (0, 1)
    assert sample_plan(1999, 2000, "2026-12-01") == (0, 1)
    segment, total = sample_plan(1_000_000, 2000, "2026-12-01")
    assert total == 500 and 0 <= segment < 500
    assert sample_plan(1_000_000, 2000, "2026-12-01") == (segment, total)  # a re-run: the same
    assert sample_plan(1_000_000, 2000, "2026-12-02")[0] != segment  # another night: another


def test_an_estimate_scales_the_samples_share():
    from chalicelib.store.segments import Sample

    found = Sample(None, rfm.Cuts([], [], []), 10_000, [None] * 2000, None)  # type: ignore[arg-type]
    assert estimate(found, 500) == 2500
    assert estimate(found, 0) == 0


def test_a_campaign_cut_short_after_its_coupons_gives_no_member_two(brand, clock, monkeypatch):
    from chalicelib.contract.segments import CampaignOut, CampaignRequest
    from chalicelib.domain.errors import Unavailable
    from chalicelib.domain.segments import Segment
    from tests.helpers import add_templates, template
    from tests.presented import coupon_checkout, segment_issue

    add_templates(brand, template("hello", per_member_limit=None))
    ids = [
        EnrollOut.model_validate_json(
            members.enroll(brand, EnrollRequest(phone=f"1380013800{i}"), None).body
        ).member_id
        for i in range(4)
    ]
    segments.save(
        brand, Segment(segment_id="all", name="All", rules=Rules()), None, segment_id=None
    )
    request = CampaignRequest(campaign_id="c-1", template_id="hello")
    real = brand.segments.stage_campaign
    calls = []

    def progress_lost(uow, campaign):  # the first page's coupons commit, its progress does not
        calls.append(campaign.status)
        if len(calls) == 2:
            raise Unavailable("throttled")
        real(uow, campaign)

    monkeypatch.setattr(brand.segments, "stage_campaign", progress_lost)
    with pytest.raises(Unavailable):
        segment_issue.issue(brand, "all", request)
    monkeypatch.setattr(brand.segments, "stage_campaign", real)
    done = segment_issue.status(brand, "all", "c-1")
    assert (done.status, done.issued) == ("running", 0)  # as the last progress kept says
    again = segment_issue.issue(brand, "all", request)
    out = CampaignOut.model_validate_json(again.body)
    assert (out.status, out.issued, out.already_issued) == ("finished", 0, 4)
    for member_id in ids:
        held = coupon_checkout.list_coupons(brand, member_id).usable
        assert [c.template_id for c in held] == ["hello"]
    from typer.testing import CliRunner

    from chalicelib.services import deps as composition
    from loyalty_tools import cli

    monkeypatch.setattr(composition, "build", lambda **kwargs: brand)
    args = ["segments", "issue", "all", "--template", "hello", "--campaign", "c-2"]
    ran = CliRunner().invoke(cli.app, args)
    assert ran.exit_code == 0, ran.output
    assert "c-2: finished; 4 members in all, 4 issued" in ran.output
    bad = CliRunner().invoke(cli.app, ["segments", "issue", "nope", *args[3:-1], "c-3"])
    assert bad.exit_code == 2 and "no segment nope" in bad.output
    taken = CliRunner().invoke(cli.app, ["segments", "issue", "nope", *args[3:]])
    assert taken.exit_code == 2 and "issues hello to segment all" in taken.output


def test_a_sample_too_big_for_one_item_keeps_what_fits(brand):
    from chalicelib.domain.segments import Profile
    from chalicelib.store.segments import Sample

    rng = random.Random(3)

    def tags():  # 20 long tags each, all different: they do not compress
        return tuple(f"{rng.getrandbits(120):030x}" for _ in range(20))

    profiles = [
        Profile(f"mem_{i:026d}", None, tags(), "active", i, 1, i % 365, 1, i) for i in range(5000)
    ]
    cuts = rfm.Cuts([1, 2, 3, 4], [1, 1, 2, 3], [5, 6, 7, 8])
    at = datetime(2026, 3, 1, tzinfo=UTC)
    kept = brand.segments.save_sample(Sample(at.date(), cuts, 10_000, profiles, at))
    assert 0 < kept < 5000
    found = brand.segments.sample()
    assert found.profiles == profiles[:kept] and found.cuts == cuts
    assert estimate(found, kept) == 10_000  # the share still scales to the population
