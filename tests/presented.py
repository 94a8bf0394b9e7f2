"""The use cases as the API presents them: each write handed its route's presenter, each read's
domain value turned into the route's response, so a test reads what a storefront reads.

`from tests.presented import purchases` stands in for `from chalicelib.services import
purchases`; what a module has beyond its use cases reads through unchanged (to change a
module's setting, patch the module itself: "chalicelib.services.merges.LOTS_PER_STEP")."""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any

from chalicelib.contract.checkout import (
    exchange_out,
    purchase_out,
    quote_out,
    redemption_out,
    refund_out,
)
from chalicelib.contract.common import as_json
from chalicelib.contract.coupons import (
    coupon_list,
    issue_out,
    redeem_out,
    release_out,
    template_out,
    templates_out,
)
from chalicelib.contract.engagement import activity_out, calendar_out, checkin_out
from chalicelib.contract.figures import (
    kpis_out,
    liability_out,
    reconciliation_out,
    sales_totals_out,
)
from chalicelib.contract.ledger import ledger_page
from chalicelib.contract.members import enroll_out, member_out
from chalicelib.contract.merges import merge_out
from chalicelib.contract.segments import (
    campaign_out,
    overview_out,
    rfm_out,
    segment_count_out,
    segment_list,
    segment_out,
)
from chalicelib.contract.wallet import (
    entries_out,
    payment_out,
    topup_out,
    wallet_out,
    wallet_refund_out,
    withdrawal_out,
)
from chalicelib.contract.webhooks import (
    deleted_out,
    delivery_out,
    delivery_page,
    webhook_list,
    webhook_out,
    webhook_secret_out,
)
from chalicelib.services import activities as _activities
from chalicelib.services import checkins as _checkins
from chalicelib.services import checkout as _checkout
from chalicelib.services import coupon_checkout as _coupon_checkout
from chalicelib.services import coupon_issue as _coupon_issue
from chalicelib.services import identities as _identities
from chalicelib.services import kpis as _kpis
from chalicelib.services import ledger as _ledger
from chalicelib.services import members as _members
from chalicelib.services import merges as _merges
from chalicelib.services import profile as _profile
from chalicelib.services import purchases as _purchases
from chalicelib.services import reconciliation as _reconciliation
from chalicelib.services import redemptions as _redemptions
from chalicelib.services import refunds as _refunds
from chalicelib.services import segment_issue as _segment_issue
from chalicelib.services import segments as _segments
from chalicelib.services import templates as _templates
from chalicelib.services import wallet as _wallet
from chalicelib.services import webhooks as _webhooks


class _Presented:
    """A service module whose named use cases are presented; the rest passes through."""

    def __init__(self, module: ModuleType, **use_cases: Callable[..., Any]) -> None:
        self._module = module
        self._use_cases = use_cases

    def __getattr__(self, name: str) -> Any:
        return self._use_cases.get(name) or getattr(self._module, name)


def _write(use_case: Callable[..., Any], present: Any) -> Callable[..., Any]:
    @functools.wraps(use_case)
    def presented(*args: Any, **kwargs: Any) -> Any:
        return use_case(*args, **kwargs, present=present)

    return presented


def _read(use_case: Callable[..., Any], present: Callable[[Any], Any]) -> Callable[..., Any]:
    @functools.wraps(use_case)
    def presented(*args: Any, **kwargs: Any) -> Any:
        return present(use_case(*args, **kwargs))

    return presented


def _enroll(d: Any, request: Any, idem: Any = None, scope: str | None = None) -> Any:
    return _members.enroll(d, request, idem, scope, as_json(enroll_out))


REFUND = _refunds.Presenters(refund=as_json(refund_out), release=as_json(release_out))

members = _Presented(
    _members,
    enroll=_enroll,
    lookup=_read(_members.lookup, member_out),
    read=_read(_members.read, member_out),
)
profile = _Presented(_profile, update=_write(_profile.update, as_json(member_out)))
identities = _Presented(
    _identities,
    add=_write(_identities.add, as_json(member_out)),
    remove=_write(_identities.remove, as_json(member_out)),
)
checkout = _Presented(_checkout, quote=_read(_checkout.quote, quote_out))
purchases = _Presented(_purchases, purchase=_write(_purchases.purchase, as_json(purchase_out)))
redemptions = _Presented(_redemptions, redeem=_write(_redemptions.redeem, as_json(redemption_out)))
refunds = _Presented(_refunds, refund=_write(_refunds.refund, REFUND))
ledger = _Presented(_ledger, page=_read(_ledger.page, ledger_page))
activities = _Presented(_activities, record=_write(_activities.record, as_json(activity_out)))
checkins = _Presented(
    _checkins,
    check_in=_write(_checkins.check_in, as_json(checkin_out)),
    calendar=_read(_checkins.calendar, calendar_out),
)
coupon_checkout = _Presented(
    _coupon_checkout,
    list_coupons=_read(_coupon_checkout.list_coupons, coupon_list),
    redeem=_write(_coupon_checkout.redeem, as_json(redeem_out)),
    release=_write(_coupon_checkout.release, as_json(release_out)),
)
coupon_issue = _Presented(
    _coupon_issue,
    issue=_write(_coupon_issue.issue, as_json(issue_out)),
    exchange=_write(_coupon_issue.exchange, as_json(exchange_out)),
    claim=_write(_coupon_issue.claim, as_json(issue_out)),
)
templates = _Presented(
    _templates,
    create=_write(_templates.create, as_json(template_out)),
    replace=_write(_templates.replace, as_json(template_out)),
    get=_read(_templates.get, template_out),
    list_all=_read(_templates.list_all, templates_out),
)
reconciliation = _Presented(
    _reconciliation,
    member=_read(_reconciliation.member, reconciliation_out),
    brand_page=_read(_reconciliation.brand_page, reconciliation_out),
    liability=_read(_reconciliation.liability, liability_out),
)
merges = _Presented(_merges, merge_members=_write(_merges.merge_members, as_json(merge_out)))
segment_issue = _Presented(
    _segment_issue,
    issue=_write(_segment_issue.issue, as_json(campaign_out)),
    status=_read(_segment_issue.status, campaign_out),
)
segments = _Presented(
    _segments,
    listed=_read(_segments.listed, segment_list),
    get=_read(_segments.get, segment_out),
    save=_write(_segments.save, as_json(segment_out)),
    delete=_write(_segments.delete, as_json(segment_out)),
    count=_read(_segments.count, segment_count_out),
    count_segment=_read(_segments.count_segment, segment_count_out),
    overview=_read(_segments.overview, overview_out),
    member_rfm=_read(_segments.member_rfm, rfm_out),
)
wallet = _Presented(
    _wallet,
    read=_read(_wallet.read, wallet_out),
    entries=_read(_wallet.entries, entries_out),
    top_up=_write(_wallet.top_up, as_json(topup_out)),
    pay=_write(_wallet.pay, as_json(payment_out)),
    refund=_write(_wallet.refund, as_json(wallet_refund_out)),
    withdraw=_write(_wallet.withdraw, as_json(withdrawal_out)),
    set_frozen=_write(_wallet.set_frozen, as_json(wallet_out)),
)


def _revealed(use_case: Callable[..., Any]) -> Callable[..., Any]:
    """Create and rotate: the secret shown once, opened as the route opens it."""

    @functools.wraps(use_case)
    def presented(d: Any, *args: Any) -> Any:
        return _webhooks.reveal(d, use_case(d, *args, present=as_json(webhook_secret_out)))

    return presented


webhooks = _Presented(
    _webhooks,
    create=_revealed(_webhooks.create),
    rotate=_revealed(_webhooks.rotate),
    update=_write(_webhooks.update, as_json(webhook_out)),
    delete=_write(_webhooks.delete, as_json(deleted_out)),
    get=_read(_webhooks.get, webhook_out),
    list_all=_read(_webhooks.list_all, webhook_list),
    deliveries=_read(_webhooks.deliveries, delivery_page),
    redeliver=_write(_webhooks.redeliver, as_json(delivery_out)),
)
kpis = _Presented(
    _kpis,
    figures=_read(_kpis.figures, kpis_out),
    report_sales=_read(_kpis.report_sales, sales_totals_out),
)
