"""Coupons (storefront and admin), growth activities, and running the nightly jobs now."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from ..contract import (
    ActivityOut,
    ActivityRequest,
    CouponList,
    CouponRedeemOut,
    CouponRedeemRequest,
    CouponReleaseOut,
    CouponReleaseRequest,
    ExchangeOut,
    ExchangeRequest,
    IssueOut,
    IssueRequest,
    RunOut,
    RunPage,
    RunQuery,
    TemplateList,
    TemplateOut,
)
from ..domain.coupons import CouponTemplate
from ..domain.errors import NotFound
from ..jobs.lifecycle import birthday_perks, winback
from ..jobs.runs import run_out, run_page
from ..jobs.settle import run_nights
from ..jobs.tier_review import review_tiers
from ..services import activities, coupon_checkout, coupon_issue, templates
from ..services.deps import deps
from ..services.shared.writes import Answer
from .http import Call, endpoint
from .routes import M, _member

T = "/v1/admin/coupon-templates"


@endpoint(
    f"{M}/activities",
    "POST",
    summary="Credit an activity's growth value (成长值), once per activity_id; may raise the tier",
    body=ActivityRequest,
    response=ActivityOut,
    status=201,
    errors=(404, 409),
)
def record_activity(call: Call, member_id: str) -> Answer:
    return activities.record(deps(), _member(member_id), call.body, call.idem)


@endpoint(
    f"{M}/coupons",
    "GET",
    summary="The member's coupons: usable, used and expired",
    response=CouponList,
    errors=(404,),
)
def list_coupons(call: Call, member_id: str) -> CouponList:
    return coupon_checkout.list_coupons(deps(), _member(member_id))


@endpoint(
    f"{M}/coupons/{{code}}/redeem",
    "POST",
    summary="Use a coupon on an order, exactly "
    "once; every refusal gives the same answer, and repeated refusals are rate limited",
    body=CouponRedeemRequest,
    response=CouponRedeemOut,
    status=201,
    errors=(404, 409, 429),
)
def redeem_coupon(call: Call, member_id: str, code: str) -> Answer:
    return coupon_checkout.redeem(
        deps(), _member(member_id), code, call.body, call.principal, call.idem
    )


@endpoint(
    f"{M}/coupons/{{code}}/release",
    "POST",
    summary="The order was cancelled: give the coupon back (once)",
    body=CouponReleaseRequest,
    response=CouponReleaseOut,
    errors=(404, 409, 429),
)
def release_coupon(call: Call, member_id: str, code: str) -> Answer:
    return coupon_checkout.release(
        deps(), _member(member_id), code, call.body, call.principal, call.idem
    )


@endpoint(
    f"{M}/coupons/exchange",
    "POST",
    summary="Exchange points for a coupon: points out, coupon in, one transaction",
    body=ExchangeRequest,
    response=ExchangeOut,
    status=201,
    errors=(404, 409),
)
def exchange(call: Call, member_id: str) -> Answer:
    return coupon_issue.exchange(deps(), _member(member_id), call.body, call.idem)


@endpoint(
    T,
    "POST",
    summary="Create a coupon template",
    scope="admin",
    body=CouponTemplate,
    response=TemplateOut,
    status=201,
    errors=(409,),
)
def create_template(call: Call) -> Answer:
    return templates.create(deps(), call.body, call.idem)


@endpoint(
    T,
    "GET",
    summary="All coupon templates, with how many were issued",
    scope="admin",
    response=TemplateList,
)
def list_templates(call: Call) -> TemplateList:
    return templates.list_all(deps())


@endpoint(
    f"{T}/{{template_id}}",
    "GET",
    summary="One coupon template",
    scope="admin",
    response=TemplateOut,
    errors=(404,),
)
def get_template(call: Call, template_id: str) -> TemplateOut:
    return templates.get(deps(), template_id)


@endpoint(
    f"{T}/{{template_id}}",
    "PUT",
    summary="Change a template for coupons issued from now on (issued ones keep their terms)",
    scope="admin",
    body=CouponTemplate,
    response=TemplateOut,
    errors=(404, 409),
)
def put_template(call: Call, template_id: str) -> Answer:
    return templates.replace(deps(), template_id, call.body, call.idem)


@endpoint(
    f"{T}/{{template_id}}/issue",
    "POST",
    summary="Issue a coupon to a member (never past stock or the per-member limit)",
    scope="admin",
    body=IssueRequest,
    response=IssueOut,
    status=201,
    errors=(404, 409),
)
def issue(call: Call, template_id: str) -> Answer:
    return coupon_issue.issue(deps(), template_id, call.body, call.idem)


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    dry_run: bool = Field(True, description="report what would happen; write nothing")
    days_back: int | None = Field(
        None, ge=0, le=366, description="re-read this many days; default: since the last run"
    )


class JobOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    job: str
    as_of: date
    dry_run: bool
    candidates: int
    changed: int = Field(description="tiers lowered, coupons given, or members settled")
    changes: list[dict[str, str | None]]
    runs: list[RunOut] = Field(
        default_factory=list, description="the run records (expiry: one per business date)"
    )


@endpoint(
    "/v1/admin/jobs/{job}",
    "POST",
    summary="Run a nightly job now (tier-review, birthday-perks, winback); dry_run, the "
    "default, reports what would change and writes nothing",
    scope="admin",
    body=JobRequest,
    response=JobOut,
    errors=(404,),
)
def run_job(call: Call, job: str) -> JobOut:
    d = deps()
    now, body = d.clock(), call.body
    if job == "tier-review":
        review = review_tiers(d, now=now, days_back=body.days_back, dry_run=body.dry_run)
        changes = [{"member_id": m, "from": a, "to": b} for m, a, b in review.changes]
        return JobOut(
            job=job,
            as_of=review.as_of,
            dry_run=review.dry_run,
            candidates=review.candidates,
            changed=review.downgraded,
            changes=changes,
        )
    if job == "expiry":
        records = run_nights(d, now=now, days_back=body.days_back, dry_run=body.dry_run)
        runs = [run_out(r) for r in records]
        return JobOut(
            job=job,
            as_of=records[-1].business_date if records else now.date(),
            dry_run=body.dry_run,
            candidates=sum(
                r.counts.get(k, 0)
                for r in records
                for k in ("members_settled", "nothing_due", "changed_meanwhile")
            ),
            changed=sum(r.counts.get("members_settled", 0) for r in records),
            changes=[],
            runs=runs,
        )
    runner = {"birthday-perks": birthday_perks, "winback": winback}.get(job)
    if runner is None:
        raise NotFound(
            f"no job {job!r}: tier-review, birthday-perks, winback or expiry", param="job"
        )
    report = runner(d, now=now, days_back=body.days_back, dry_run=body.dry_run)
    given = [{"member_id": m, "template_id": t} for m, t in report.given]
    return JobOut(
        job=job,
        as_of=report.as_of,
        dry_run=report.dry_run,
        candidates=report.candidates,
        changed=len(report.given),
        changes=given,
    )


@endpoint(
    "/v1/admin/jobs",
    "GET",
    summary="The nightly runs, newest first: date, status, pages, counts, errors",
    scope="admin",
    query=RunQuery,
    response=RunPage,
)
def list_runs(call: Call) -> RunPage:
    return run_page(deps(), call.query)
