"""Coupons (storefront and admin), growth activities and the daily check-in."""

from ..contract.checkout import ExchangeOut, ExchangeRequest, exchange_out
from ..contract.common import as_json
from ..contract.coupons import (
    ClaimRequest,
    CouponList,
    CouponRedeemOut,
    CouponRedeemRequest,
    CouponReleaseOut,
    CouponReleaseRequest,
    IssueOut,
    IssueRequest,
    TemplateList,
    TemplateOut,
    coupon_list,
    issue_out,
    redeem_out,
    release_out,
    template_out,
    templates_out,
)
from ..contract.engagement import (
    ActivityOut,
    ActivityRequest,
    CalendarQuery,
    CheckinCalendarOut,
    CheckinOut,
    CheckinRequest,
    ReferralsOut,
    activity_out,
    calendar_out,
    checkin_out,
    referrals_out,
)
from ..domain.coupons import CouponTemplate
from ..services import (
    activities,
    checkins,
    coupon_checkout,
    coupon_issue,
    referrals,
    templates,
)
from ..services.deps import deps
from ..services.shared.writes import Answer
from .http import Call, endpoint
from .routes import M, _member

T = "/v1/admin/coupon-templates"


@endpoint(
    f"{M}/activities",
    "POST",
    operation="recordActivity",
    summary="Credit an activity's growth value (成长值), once per activity_id; may raise the tier",
    body=ActivityRequest,
    response=ActivityOut,
    status=201,
    errors=(404, 409),
)
def record_activity(call: Call, member_id: str) -> Answer:
    return activities.record(
        deps(), _member(member_id), call.body, call.idem, as_json(activity_out)
    )


@endpoint(
    f"{M}/check-ins",
    "POST",
    operation="checkIn",
    summary="签到: check in today (once a brand-local day; again gets the first answer) or "
    "make up a missed day of this month",
    body=CheckinRequest,
    response=CheckinOut,
    status=201,
    errors=(404, 409),
)
def check_in(call: Call, member_id: str) -> Answer:
    return checkins.check_in(deps(), _member(member_id), call.body, call.idem, as_json(checkin_out))


@endpoint(
    f"{M}/check-ins",
    "GET",
    operation="getCheckInCalendar",
    summary="The month's check-in calendar, the current streak and the next streak bonus",
    query=CalendarQuery,
    response=CheckinCalendarOut,
    errors=(404, 409),
)
def checkin_calendar(call: Call, member_id: str) -> CheckinCalendarOut:
    return calendar_out(checkins.calendar(deps(), _member(member_id), call.query.month))


@endpoint(
    f"{M}/referrals",
    "GET",
    operation="listReferrals",
    summary="邀请: the member's referral code and the friends who enrolled with it, with what "
    "each brought",
    response=ReferralsOut,
    errors=(404,),
)
def list_referrals(call: Call, member_id: str) -> ReferralsOut:
    return referrals_out(referrals.list_friends(deps(), _member(member_id)))


@endpoint(
    f"{M}/coupons",
    "GET",
    operation="listMemberCoupons",
    summary="The member's coupons: usable, used and expired",
    response=CouponList,
    errors=(404,),
)
def list_coupons(call: Call, member_id: str) -> CouponList:
    return coupon_list(coupon_checkout.list_coupons(deps(), _member(member_id)))


@endpoint(
    f"{M}/coupons/{{code}}/redeem",
    "POST",
    operation="redeemCoupon",
    summary="Use a coupon on an order, exactly "
    "once; every refusal gives the same answer, and repeated refusals are rate limited",
    body=CouponRedeemRequest,
    response=CouponRedeemOut,
    status=201,
    errors=(404, 409, 429),
)
def redeem_coupon(call: Call, member_id: str, code: str) -> Answer:
    return coupon_checkout.redeem(
        deps(), _member(member_id), code, call.body, call.principal, call.idem, as_json(redeem_out)
    )


@endpoint(
    f"{M}/coupons/{{code}}/release",
    "POST",
    operation="releaseCoupon",
    summary="The order was cancelled: give the coupon back (once)",
    body=CouponReleaseRequest,
    response=CouponReleaseOut,
    errors=(404, 409, 429),
)
def release_coupon(call: Call, member_id: str, code: str) -> Answer:
    return coupon_checkout.release(
        deps(), _member(member_id), code, call.body, call.principal, call.idem, as_json(release_out)
    )


@endpoint(
    f"{M}/coupons/exchange",
    "POST",
    operation="exchangePointsForCoupon",
    summary="Exchange points for a coupon: points out, coupon in, one transaction",
    body=ExchangeRequest,
    response=ExchangeOut,
    status=201,
    errors=(404, 409),
)
def exchange(call: Call, member_id: str) -> Answer:
    return coupon_issue.exchange(
        deps(), _member(member_id), call.body, call.idem, as_json(exchange_out)
    )


@endpoint(
    f"{M}/coupon-claims",
    "POST",
    operation="claimCoupon",
    summary="抢券: the member takes one coupon of a claimable template, never past its stock "
    "(409 sold_out) or the per-member limit; send an Idempotency-Key",
    body=ClaimRequest,
    response=IssueOut,
    status=201,
    errors=(404, 409, 422),
)
def claim_coupon(call: Call, member_id: str) -> Answer:
    return coupon_issue.claim(deps(), _member(member_id), call.body, call.idem, as_json(issue_out))


@endpoint(
    T,
    "POST",
    operation="createCouponTemplate",
    summary="Create a coupon template",
    scope="admin",
    body=CouponTemplate,
    response=TemplateOut,
    status=201,
    errors=(409,),
)
def create_template(call: Call) -> Answer:
    return templates.create(deps(), call.body, call.idem, as_json(template_out))


@endpoint(
    T,
    "GET",
    operation="listCouponTemplates",
    summary="All coupon templates, with how many were issued",
    scope="admin",
    response=TemplateList,
)
def list_templates(call: Call) -> TemplateList:
    return templates_out(templates.list_all(deps()))


@endpoint(
    f"{T}/{{template_id}}",
    "GET",
    operation="getCouponTemplate",
    summary="One coupon template",
    scope="admin",
    response=TemplateOut,
    errors=(404,),
)
def get_template(call: Call, template_id: str) -> TemplateOut:
    return template_out(templates.get(deps(), template_id))


@endpoint(
    f"{T}/{{template_id}}",
    "PUT",
    operation="putCouponTemplate",
    summary="Change a template for coupons issued from now on (issued ones keep their terms)",
    scope="admin",
    body=CouponTemplate,
    response=TemplateOut,
    errors=(404, 409),
)
def put_template(call: Call, template_id: str) -> Answer:
    return templates.replace(deps(), template_id, call.body, call.idem, as_json(template_out))


@endpoint(
    f"{T}/{{template_id}}/issue",
    "POST",
    operation="issueCoupon",
    summary="Issue a coupon to a member (never past stock or the per-member limit)",
    scope="admin",
    body=IssueRequest,
    response=IssueOut,
    status=201,
    errors=(404, 409),
)
def issue(call: Call, template_id: str) -> Answer:
    return coupon_issue.issue(deps(), template_id, call.body, call.idem, as_json(issue_out))
