"""Small builders the tests share."""

from __future__ import annotations

from chalicelib.contract.checkout import PurchaseRequest, RedemptionRequest, RefundRequest
from chalicelib.contract.members import EnrollOut, EnrollRequest, MemberOut
from chalicelib.services.deps import Deps
from chalicelib.services.shared.writes import Idem
from tests.presented import members, purchases, redemptions, refunds


def enroll(deps: Deps, phone: str = "13800138000") -> str:
    answer = members.enroll(deps, EnrollRequest(phone=phone), None)
    return EnrollOut.model_validate_json(answer.body).member_id


def buy(
    deps: Deps,
    member_id: str,
    order_id: str,
    amount: int,
    idem: Idem | None = None,
    **extra: object,
) -> dict:
    import json

    request = PurchaseRequest(order_id=order_id, amount=amount, currency="CNY", **extra)
    return json.loads(purchases.purchase(deps, member_id, request, idem).body)


def redeem(deps: Deps, member_id: str, order_id: str, pts: int, idem: Idem | None = None) -> dict:
    import json

    request = RedemptionRequest(order_id=order_id, points=pts)
    return json.loads(redemptions.redeem(deps, member_id, request, idem).body)


def refund(deps: Deps, member_id: str, order_id: str, amount: int, **extra: object) -> dict:
    import json

    request = RefundRequest(order_id=order_id, amount=amount, **extra)
    return json.loads(refunds.refund(deps, member_id, request, None).body)


def top_up(deps: Deps, member_id: str, payment_id: str, amount: int) -> dict:
    import json

    from chalicelib.contract.wallet import TopupRequest
    from tests.presented import wallet

    request = TopupRequest(payment_id=payment_id, amount=amount)
    return json.loads(wallet.top_up(deps, member_id, request, None).body)


def pay(deps: Deps, member_id: str, order_id: str, amount: int) -> dict:
    import json

    from chalicelib.contract.wallet import WalletPaymentRequest
    from tests.presented import wallet

    request = WalletPaymentRequest(order_id=order_id, amount=amount)
    return json.loads(wallet.pay(deps, member_id, request, None).body)


def member(deps: Deps, member_id: str) -> MemberOut:
    return members.read(deps, member_id)


def ladder(**changes: object):
    from loyalty_tools.demo import DEMO_LADDER

    return DEMO_LADDER.model_copy(update=changes)


def add_templates(deps: Deps, *documents) -> None:
    from tests.presented import templates

    for document in documents:
        templates.create(deps, document, None)


def template(template_id: str = "t", **fields: object):
    from chalicelib.domain.coupons import CouponTemplate

    fields.setdefault("name", template_id)
    fields.setdefault("kind", "fixed")
    if fields["kind"] == "fixed":
        fields.setdefault("amount_off", 500)
    return CouponTemplate(template_id=template_id, **fields)


class Night:
    """What one call of the nightly runner did: the counts of every run summed, the changes
    (coupons given, tiers moved) and the run records."""

    def __init__(self, results: list) -> None:
        from collections import Counter

        self.runs = [record for record, _ in results]
        self.counts: Counter[str] = Counter()
        self.changes: list[dict] = []
        for record, night in results:
            self.counts.update(record.counts)
            self.changes += night.changes

    def __getitem__(self, name: str) -> int:
        return self.counts.get(name, 0)


def nightly(deps: Deps, job: str, now, **options: object) -> Night:
    """Run a job (a name `loyalty jobs run` takes) as the hourly schedule would at `now`."""
    from chalicelib.jobs import nightly as jobs

    return Night(jobs.run_jobs(deps, jobs.jobs_named(job), now=now, **options))
