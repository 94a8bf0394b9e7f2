"""The v1 routes: each parses (in `endpoint`), makes one service call, and serialises."""

import re

from .. import observe
from ..contract.checkout import (
    PurchaseOut,
    PurchaseRequest,
    QuoteOut,
    QuoteRequest,
    RedemptionOut,
    RedemptionRequest,
    RefundOut,
    RefundRequest,
    purchase_out,
    quote_out,
    redemption_out,
    refund_out,
)
from ..contract.common import as_json
from ..contract.coupons import release_out
from ..contract.ledger import LedgerPage, LedgerQuery, ledger_page
from ..contract.members import (
    EnrollOut,
    EnrollRequest,
    IdentityAdd,
    LookupRequest,
    MemberOut,
    ProfilePatch,
    enroll_out,
    member_out,
)
from ..domain.errors import InvalidRequest, MemberNotFound
from ..domain.identity import IDENTITY_KINDS
from ..domain.program import Program
from ..services import (
    checkout,
    identities,
    ledger,
    members,
    profile,
    program,
    purchases,
    redemptions,
    refunds,
)
from ..services.deps import deps
from ..services.shared.writes import Answer
from .http import Call, endpoint

MEMBER_ID = re.compile(r"^mem_[0-9A-Z]{26}$")


def _member(member_id: str) -> str:
    # A malformed id is simply an unknown member: same answer, and it never reaches DynamoDB.
    if not MEMBER_ID.match(member_id):
        raise MemberNotFound(f"no member {member_id[:40]}", param="member_id")
    return member_id


M = "/v1/members/{member_id}"
REFUND = refunds.Presenters(refund=as_json(refund_out), release=as_json(release_out))


@endpoint(
    "/v1/members",
    "POST",
    operation="enrollMember",
    summary="Enroll a member, or return the one who already has "
    "this phone, email or external id (200)",
    body=EnrollRequest,
    response=EnrollOut,
    status=201,
    errors=(409,),
)
def enroll(call: Call) -> Answer:
    return members.enroll(deps(), call.body, call.idem, call.scope, as_json(enroll_out))


@endpoint(
    M,
    "PATCH",
    operation="updateMemberProfile",
    summary="Change a member's profile: name, gender, birthday, locale, tags (admin), "
    "attributes, marketing consent; only the fields sent (null clears)",
    body=ProfilePatch,
    response=MemberOut,
    errors=(403, 404, 409),
)
def update_profile(call: Call, member_id: str) -> Answer:
    return profile.update(
        deps(), _member(member_id), call.body, call.scope, call.idem, as_json(member_out)
    )


@endpoint(
    f"{M}/identities",
    "POST",
    operation="addIdentity",
    summary="Add a phone, email, external id or OpenID to a member (one of each; an identity "
    "belongs to one member only)",
    body=IdentityAdd,
    response=MemberOut,
    status=201,
    errors=(404, 409),
)
def add_identity(call: Call, member_id: str) -> Answer:
    return identities.add(deps(), _member(member_id), call.body, call.idem, as_json(member_out))


@endpoint(
    f"{M}/identities/{{kind}}",
    "DELETE",
    operation="removeIdentity",
    summary="Remove the member's phone, email, external id or OpenID (a member keeps one at least)",
    response=MemberOut,
    errors=(404, 409),
)
def remove_identity(call: Call, member_id: str, kind: str) -> Answer:
    if kind not in IDENTITY_KINDS:
        raise InvalidRequest(f"kind is one of {', '.join(IDENTITY_KINDS)}", param="kind")
    return identities.remove(deps(), _member(member_id), kind, call.idem, as_json(member_out))


@endpoint(
    "/v1/members/lookup",
    "POST",
    operation="lookUpMember",
    summary="Find a member by phone, email, external id or OpenID "
    "(in the body, so personal data stays out of access logs)",
    body=LookupRequest,
    response=MemberOut,
    errors=(404, 429),
)
def lookup(call: Call) -> MemberOut:
    return member_out(members.lookup(deps(), call.body, call.principal))


@endpoint(
    M,
    "GET",
    operation="getMember",
    summary="A member: balance, pending, debt, lifetime points, tier",
    response=MemberOut,
    errors=(404,),
)
def get_member(call: Call, member_id: str) -> MemberOut:
    return member_out(members.read(deps(), _member(member_id)))


@endpoint(
    f"{M}/quote",
    "POST",
    operation="quotePurchase",
    summary="What a basket would earn (with the breakdown) and how "
    "many points could pay for it; writes nothing",
    body=QuoteRequest,
    response=QuoteOut,
    errors=(404, 409),
)
def quote(call: Call, member_id: str) -> QuoteOut:
    return quote_out(checkout.quote(deps(), _member(member_id), call.body))


@endpoint(
    f"{M}/purchases",
    "POST",
    operation="recordPurchase",
    summary="Record a purchase: earn points exactly once per order id",
    body=PurchaseRequest,
    response=PurchaseOut,
    status=201,
    errors=(404, 409),
    meter=lambda out: {observe.PURCHASES: 1, observe.POINTS_EARNED: out["points_earned"]},
)
def purchase(call: Call, member_id: str) -> Answer:
    return purchases.purchase(
        deps(), _member(member_id), call.body, call.idem, as_json(purchase_out)
    )


@endpoint(
    f"{M}/redemptions",
    "POST",
    operation="redeemPoints",
    summary="Redeem points as cash-off on an order, soonest-expiring first",
    body=RedemptionRequest,
    response=RedemptionOut,
    status=201,
    errors=(404, 409),
    meter=lambda out: {observe.REDEMPTIONS: 1, observe.POINTS_REDEEMED: out["points_redeemed"]},
)
def redeem(call: Call, member_id: str) -> Answer:
    return redemptions.redeem(
        deps(), _member(member_id), call.body, call.idem, as_json(redemption_out)
    )


@endpoint(
    f"{M}/refunds",
    "POST",
    operation="recordRefund",
    summary="Refund all or part of an order: claw back its points, give back points redeemed on it",
    body=RefundRequest,
    response=RefundOut,
    status=201,
    errors=(404, 409),
)
def refund(call: Call, member_id: str) -> Answer:
    return refunds.refund(deps(), _member(member_id), call.body, call.idem, REFUND)


@endpoint(
    f"{M}/ledger",
    "GET",
    operation="listLedgerEntries",
    summary="The points ledger, newest first, with the reason of every change",
    query=LedgerQuery,
    response=LedgerPage,
    errors=(404,),
)
def read_ledger(call: Call, member_id: str) -> LedgerPage:
    found = ledger.page(deps(), _member(member_id), call.query.limit, call.query.cursor)
    return ledger_page(found)


@endpoint(
    "/v1/admin/program",
    "GET",
    operation="getProgram",
    summary="The brand's program document (current version)",
    scope="admin",
    response=Program,
    errors=(409,),
)
def get_program(call: Call) -> Program:
    return program.get(deps())


@endpoint(
    "/v1/admin/program",
    "PUT",
    operation="putProgram",
    summary="Replace the program document; send `version` to "
    "refuse the write if someone changed it since you read it",
    scope="admin",
    body=Program,
    response=Program,
    errors=(409,),
)
def put_program(call: Call) -> Answer:
    return program.put(deps(), call.body, call.idem)
