"""Merging two members (合并): one person who enrolled twice (a POS phone, a web-shop email).

Pure: what the survivor keeps of the member merged into it. The survivor's own facts win where
both have one (its name, its birthday, its consent); what adds up adds up (growth value, the
tier's qualifying buckets, tags); the higher tier is kept. The points, the stored value, the
coupons and orders move in steps of their own (`PointsAccount.hand_over`/`take_over`,
`Wallet.hand_over`/`take_over`, the merge store).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from msgspec import Struct

from .errors import MergeRefused
from .members import Member
from .profile import MAX_TAGS
from .tiers import Buckets

# Where an unfinished merge goes on (`Member.merge_step`): after the first step, which marks
# both members and re-points the identities, the points move, then the stored value, then the
# records; then it is done.
POINTS, WALLET, RECORDS, DONE = "points", "wallet", "records", "done"


def refusal(
    target: Member,
    source: Member,
    source_currency: str | None = None,
    target_currency: str | None = None,
    source_taking_in: tuple[str, ...] = (),
) -> str | None:
    """Why `source` cannot be merged into `target` now, if it cannot (the currencies: of each
    member's stored-value wallet, None where it has none; `source_taking_in`: members whose
    merge into `source` has not finished)."""
    if target.member_id == source.member_id:
        return "a member cannot be merged into itself"
    if target.merged_into is not None:
        return f"member {target.member_id} was merged into {target.merged_into} itself"
    if source.merged_into is not None and source.merged_into != target.member_id:
        return f"member {source.member_id} was merged into {source.merged_into} already"
    if target.merge_step is not None:
        return f"member {target.member_id} is being merged into another member"
    if source_taking_in:
        return (
            f"member {source.member_id} is still taking in {', '.join(source_taking_in)}: "
            "finish that merge first (ask for it again)"
        )
    if source_currency and target_currency and source_currency != target_currency:
        return (
            f"member {source.member_id}'s stored value is in {source_currency} and member "
            f"{target.member_id}'s in {target_currency}: one wallet cannot hold both"
        )
    return None


def refuse(
    target: Member,
    source: Member,
    source_currency: str | None = None,
    target_currency: str | None = None,
    source_taking_in: tuple[str, ...] = (),
) -> None:
    why = refusal(target, source, source_currency, target_currency, source_taking_in)
    if why is not None:
        raise MergeRefused(why, param="from_member_id")


def combine(target: Member, source: Member, rank: Callable[[str | None], int]) -> None:
    """The survivor takes in the merged member's identities, growth and tier standing, and
    keeps its own profile (filling in only what it lacks). `rank` orders the tier names."""
    target.identities += [i for i in source.identities if i not in target.identities]
    target.phone_masked = target.phone_masked or source.phone_masked
    target.email_masked = target.email_masked or source.email_masked
    target.external_id = target.external_id or source.external_id
    target.birthday = target.birthday or source.birthday
    target.name = target.name or source.name
    target.gender = target.gender or source.gender
    target.locale = target.locale or source.locale
    target.tags = (target.tags + [t for t in source.tags if t not in target.tags])[:MAX_TAGS]
    target.attributes = {**source.attributes, **target.attributes}
    target.growth_total += source.growth_total
    target.tier_metrics = add_buckets(target.tier_metrics, source.tier_metrics)
    target.rfm_weeks = add_buckets(target.rfm_weeks, source.rfm_weeks)
    if rank(source.tier) > rank(target.tier):
        target.tier = source.tier
        target.tier_since = source.tier_since
        target.tier_grace_left = source.tier_grace_left
        target.tier_review_on = source.tier_review_on
    if source.last_active_at and (
        target.last_active_at is None or source.last_active_at > target.last_active_at
    ):
        target.last_active_at = source.last_active_at
        target.dormant_on = source.dormant_on
        target.dormant_since = source.dormant_since
        target.churned_since = source.churned_since
    # the figures' days: the later activity; the last two purchase days of both
    bought = (target.purchase_day, target.prev_purchase_day, source.purchase_day)
    days = sorted({d for d in (*bought, source.prev_purchase_day) if d}, reverse=True)
    target.purchase_day = days[0] if days else None
    target.prev_purchase_day = days[1] if len(days) > 1 else None
    target.active_day = max((d for d in (target.active_day, source.active_day) if d), default=None)
    target.merged_from = [*target.merged_from, source.member_id]


def add_buckets(a: Buckets, b: Buckets) -> Buckets:
    """Two members' qualifying buckets, added up bucket by bucket."""
    out = {key: list(values) for key, values in a.items()}
    for key, values in b.items():
        mine = out.setdefault(key, [0] * len(values))
        for i, value in enumerate(values):
            mine[i] += value
    return out


def let_go(source: Member, target_id: str) -> None:
    """The merged member from now on: pointing at the survivor, nothing of its own left to
    review, remind or wake up (its index keys go with `merged_into`)."""
    source.merged_into = target_id
    source.merge_step = POINTS
    source.growth_total = 0
    source.tier_metrics = {}
    source.tier = None
    source.tier_review_on = None
    source.dormant_on = None
    source.identities = []  # re-pointed to the survivor in the same transaction


class MergeRecord(Struct, frozen=True):
    moved: dict[str, int]
    kept: list[str]
    merged_at: datetime
