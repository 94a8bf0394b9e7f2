"""One error hierarchy: each error has a stable machine code and a one-line docstring.

How an error is shown over HTTP (status, type) is the API's business: `api/errors.py`.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a caller may see; never a 500."""

    code = "error"

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.details: dict[str, str] = {}  # shown beside code and message (e.g. merged_into)


class InvalidRequest(DomainError):
    """The request is malformed or breaks a rule of the contract."""

    code = "invalid_request"


class ValidationFailed(DomainError):
    """A field has the wrong type, range or shape."""

    code = "validation_error"


class PayloadTooLarge(DomainError):
    """The body is larger than the engine accepts."""

    code = "payload_too_large"


class Unauthenticated(DomainError):
    """No API key, or one the engine does not know."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """The API key's scope does not reach this route."""

    code = "forbidden"


class NotFound(DomainError):
    """The resource does not exist."""

    code = "not_found"


class MemberNotFound(NotFound):
    """No member has that id or identifier."""

    code = "member_not_found"


class EventNotFound(NotFound):
    """No event has that id (or it is older than the 30 days events are kept)."""

    code = "event_not_found"


class OrderNotFound(NotFound):
    """The member has no purchase with that order id."""

    code = "order_not_found"


class ProgramNotConfigured(DomainError):
    """The brand has not stored a program document yet."""

    code = "program_not_configured"


class Conflict(DomainError):
    """The request contradicts what is already recorded."""

    code = "conflict"


class MemberMerged(Conflict):
    """The member was merged into another: `merged_into` names the member to use from now on."""

    code = "member_merged"

    def __init__(self, member_id: str, merged_into: str) -> None:
        super().__init__(
            f"member {member_id} was merged into {merged_into}: use that member from now on",
            param="member_id",
        )
        self.merged_into = merged_into
        self.details = {"merged_into": merged_into}


class MergeRefused(Conflict):
    """These two members cannot be merged (the message says why)."""

    code = "merge_refused"


class IdentityConflict(Conflict):
    """The identifiers given belong to two different members."""

    code = "identity_conflict"


class LastIdentity(Conflict):
    """A member keeps at least one identity, so every channel can find it again."""

    code = "last_identity"


class IdentityNotFound(NotFound):
    """The member has no identity of that kind."""

    code = "identity_not_found"


class OrderConflict(Conflict):
    """The order id was already recorded with a different body."""

    code = "order_conflict"


class IdempotencyKeyReused(DomainError):
    """The Idempotency-Key was already used with a different request."""

    code = "idempotency_key_reused"


class VersionConflict(Conflict):
    """The document changed since the version the caller read."""

    code = "version_conflict"


class ConcurrentUpdate(Conflict):
    """The member changed under the request too many times in a row; retrying is safe."""

    code = "concurrent_update"


class InsufficientPoints(Conflict):
    """The member has fewer spendable points than asked for."""

    code = "insufficient_points"


class RefundExceedsOrder(Conflict):
    """The refunds of an order would add up to more than the order."""

    code = "refund_exceeds_order"


class TooManyLots(Conflict):
    """The change touches more point lots than one transaction can hold."""

    code = "too_many_lots"


class InvalidJson(InvalidRequest):
    """The body is not JSON at all."""

    code = "invalid_json"


class UnknownField(ValidationFailed):
    """The body names a field the contract does not have (mass assignment is refused)."""

    code = "unknown_field"


class MissingField(ValidationFailed):
    """A required field is absent."""

    code = "missing_field"


class UnsupportedMediaType(DomainError):
    """The body is not sent as JSON (`Content-Type` must be application/json, or absent)."""

    code = "unsupported_media_type"


class MethodNotAllowed(DomainError):
    """The path exists, but not with this HTTP method."""

    code = "method_not_allowed"


class RouteNotFound(NotFound):
    """No route has this path."""

    code = "route_not_found"


class InternalError(DomainError):
    """A bug: the engine failed in a way it did not foresee. Nothing was half-written."""

    code = "internal_error"


class Unavailable(DomainError):
    """DynamoDB did not answer; the request changed nothing and may be retried with its key."""

    code = "unavailable"


class TemplateNotFound(NotFound):
    """No coupon template has that id."""

    code = "template_not_found"


class TemplateExists(Conflict):
    """A coupon template with that id (or that shared code) already exists."""

    code = "template_exists"


class SegmentNotFound(NotFound):
    """No segment has that id."""

    code = "segment_not_found"


class SegmentExists(Conflict):
    """A segment with that id already exists."""

    code = "segment_exists"


class SampleMissing(Conflict):
    """The nightly RFM job has not read its sample yet: no scores, no estimates."""

    code = "rfm_sample_missing"


class CouponOutOfStock(Conflict):
    """The template's total stock is issued."""

    code = "coupon_out_of_stock"


class SoldOut(Conflict):
    """A claimed template's stock is gone (抢券: every unit claimed)."""

    code = "sold_out"


class NotClaimable(Conflict):
    """Members may not take coupons of this template themselves."""

    code = "not_claimable"


class CouponLimitReached(Conflict):
    """The member already holds as many of this template as it allows."""

    code = "coupon_limit_reached"


class CouponNotUsable(Conflict):
    """One answer for every refused code, whatever the reason, so codes cannot be probed."""

    code = "coupon_not_usable"


class RateLimited(DomainError):
    """Too many refused coupon codes, or look-ups that found no member, from this API key in
    the last minute."""

    code = "rate_limited"

    def __init__(self, message: str, *, param: str | None = None, retry_after: int = 60) -> None:
        super().__init__(message, param=param)
        self.retry_after = retry_after  # seconds until the minute is over


class Misconfigured(Unavailable):
    """The stack's settings are unsafe or incomplete (the message names which); nothing runs."""

    code = "misconfigured"


class UrlNotAllowed(ValidationFailed):
    """The webhook URL is not https, or resolves to a loopback, link-local, metadata or private
    address (checked at create, update, and again at each delivery)."""

    code = "url_not_allowed"


class WebhookNotFound(NotFound):
    """No webhook endpoint has that id."""

    code = "webhook_not_found"


class DeliveryNotFound(NotFound):
    """The webhook endpoint has no delivery with that id."""

    code = "delivery_not_found"


class WalletNotFound(NotFound):
    """The member has no wallet yet (no top-up was ever recorded)."""

    code = "wallet_not_found"


class WalletFrozen(Conflict):
    """The wallet is frozen: payments are refused (top-ups and refunds are still recorded)."""

    code = "wallet_frozen"


class InsufficientFunds(Conflict):
    """The wallet holds less than the payment asks for."""

    code = "insufficient_funds"


class WithdrawalRefused(Conflict):
    """The principal left (or left of that top-up) is less than the withdrawal asks for."""

    code = "withdrawal_refused"


class RefundExceedsPayment(Conflict):
    """The refunds of a wallet payment would add up to more than the payment."""

    code = "refund_exceeds_payment"


class PaymentNotFound(NotFound):
    """No wallet payment for that order, or no top-up with that payment id, on this member."""

    code = "payment_not_found"


class PaymentConflict(Conflict):
    """That payment or order id was already used with a different amount or member."""

    code = "payment_conflict"


class LimitReached(Conflict):
    """A daily limit of the program (limits.*) is reached for this member: try again tomorrow."""

    code = "limit_reached"


class CheckinOff(Conflict):
    """The program has no daily check-in (checkin.enabled is false)."""

    code = "checkin_off"


class AlreadyCheckedIn(Conflict):
    """That day is checked in already."""

    code = "already_checked_in"


class MakeUpRefused(Conflict):
    """The day cannot be made up (补签): not a past day of this month, or no make-ups left."""

    code = "makeup_refused"
