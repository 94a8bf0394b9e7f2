"""Use cases at checkout: quote, purchase (earn), redeem, refund; and the member's ledger."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from ..contract import (
    Basket as BasketIn,
)
from ..contract import (
    EarnLineOut,
    ItemIn,
    LedgerEntryOut,
    LedgerPage,
    PurchaseOut,
    PurchaseRequest,
    QuoteOut,
    QuoteRequest,
    RedemptionOut,
    RedemptionRequest,
    RefundOut,
    RefundRequest,
)
from ..domain.earning import (
    Basket,
    BasketItem,
    Earning,
    earn_points,
    format_amount,
    redemption_discount,
)
from ..domain.errors import (
    DomainError,
    MemberNotFound,
    OrderConflict,
    OrderNotFound,
    ValidationFailed,
)
from ..domain.expiry import expires_at, last_valid_day
from ..domain.members import Member
from ..domain.points import Lot, PointsAccount, plan_refund, proportional
from ..domain.program import Program
from ..domain.tiers import growth_for
from ..store.members import OrderRecord, RedemptionRecord
from ..store.unit_of_work import UnitOfWork, WriteRejected
from . import coupons, lifecycle, tiers
from .deps import Deps
from .members import current_program, member_out
from .writes import Answer, Idem, replay, request_hash, run_write, stage_answer

CLOCK_SKEW = timedelta(minutes=5)


def _decimal(value: Fraction) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return format(exact.quantize(Decimal("0.0001")).normalize(), "f")


def _lines(earning: Earning) -> list[EarnLineOut]:
    return [
        EarnLineOut(rule=line.rule, description=line.description, points=_decimal(line.points))
        for line in earning.lines
    ]


def _basket(request: BasketIn, program: Program, now: datetime) -> Basket:
    return basket_of(
        request.amount, request.currency, request.items, program, now, request.occurred_at
    )


def basket_of(
    amount: int,
    currency: str,
    items: list[ItemIn],
    program: Program,
    now: datetime,
    occurred_at: datetime | None = None,
) -> Basket:
    """The domain's basket from a request's fields, checked against the program."""
    if currency != program.currency:
        raise ValidationFailed(
            f"the program runs in {program.currency}, not {currency}", param="currency"
        )
    if items and sum(item.amount for item in items) != amount:
        raise ValidationFailed(
            "items must add up to amount (send shipping or fees as items)", param="items"
        )
    if amount > program.limits.max_order_amount:
        raise ValidationFailed(
            f"amount is above the program's limit of {program.limits.max_order_amount}",
            param="amount",
        )
    occurred = occurred_at or now
    if occurred > now + CLOCK_SKEW:
        raise ValidationFailed("occurred_at is in the future", param="occurred_at")
    oldest = now - timedelta(days=program.limits.max_purchase_age_days)
    if occurred < oldest:
        raise ValidationFailed(
            f"occurred_at is more than {program.limits.max_purchase_age_days} days ago "
            "(limits.max_purchase_age_days)",
            param="occurred_at",
        )
    basket_items = tuple(
        BasketItem(amount=i.amount, quantity=i.quantity, sku=i.sku, category=i.category)
        for i in items
    )
    return Basket(amount=amount, occurred_at=occurred, items=basket_items)


def load_account(deps: Deps, member_id: str, now: datetime) -> tuple[Member, PointsAccount]:
    loaded = deps.members.load(member_id)
    if loaded is None:
        raise MemberNotFound(f"no member {member_id}", param="member_id")
    member, lots = loaded
    account = PointsAccount.load(member.balances, lots, now)
    account.settle()
    return member, account


def quote(deps: Deps, member_id: str, request: QuoteRequest) -> QuoteOut:
    """What the basket would earn and how many points could pay for it; writes nothing."""
    program = current_program(deps)
    now = deps.clock()
    basket = _basket(request, program, now)
    member, account = load_account(deps, member_id, now)
    earning = earn_points(basket, program, member.tier)
    rate = program.redemption
    # Whole redemption steps only, and never a discount larger than the basket.
    redeemable = min(account.available, request.amount * rate.points // rate.amount)
    redeemable -= redeemable % rate.points
    if redeemable < rate.min_points:
        redeemable = 0
    return QuoteOut(
        points_earned=earning.points,
        breakdown=_lines(earning),
        program_version=program.version or 0,
        points_redeemable=redeemable,
        redeemable_discount=redemption_discount(redeemable, program),
        coupons=coupons.quote_coupons(deps, member_id, basket, now),
    )


def purchase(deps: Deps, member_id: str, request: PurchaseRequest, idem: Idem | None) -> Answer:
    """Earn points for an order, exactly once per (member, order id), whatever the retries."""
    program = current_program(deps)
    fingerprint = request_hash("purchase", request.model_dump(mode="json"))

    def existing_order() -> Answer:
        order = deps.members.order(member_id, request.order_id)
        if order is None:
            raise OrderConflict("the order changed while recording it", param="order_id")
        if order.request_hash != fingerprint:
            raise OrderConflict(
                f"order {request.order_id} was already recorded with a different body",
                param="order_id",
            )
        return Answer(201, order.response, replayed=True)

    skip_coupons: dict[str, str] = {}

    def attempt() -> Answer:
        now = deps.clock()
        basket = _basket(request, program, now)
        member, account = load_account(deps, member_id, now)
        # The tier the member has now sets the multiplier; a tier this purchase reaches applies
        # from the next purchase on.
        earning = earn_points(basket, program, member.tier)
        zone = program.zone
        occurred = basket.occurred_at
        last_day = last_valid_day(occurred, program.expiry, zone)
        lot_expiry = expires_at(last_day, zone)
        if lot_expiry is not None and lot_expiry <= now:
            raise ValidationFailed(
                "occurred_at is so long ago that its points would already have expired",
                param="occurred_at",
            )
        window = program.return_window_days
        vests_at = occurred + timedelta(days=window) if window else None
        lot_id = deps.new_id(now)
        account.earn(
            Lot(
                lot_id=lot_id,
                points=earning.points,
                remaining=earning.points,
                earned_at=occurred,
                expires_at=lot_expiry,
                vests_at=vests_at,
                pending=False,
                order_id=request.order_id,
            ),
            reason=f"purchase {request.order_id}: earned {earning.points} points "
            f"on {format_amount(request.amount)} {request.currency} (program v{program.version})",
        )
        earned_lot = account.lots.get(lot_id)
        status = "none" if earned_lot is None else ("pending" if earned_lot.pending else "vested")
        growth = growth_for(request.amount, program.growth.per_unit, program.growth.unit_amount)
        change, welcome = tiers.on_purchase(
            program, member, occurred=occurred, now=now, amount=request.amount, growth=growth
        )
        lifecycle.touch(program, member, now)
        uow = deps.uow()
        issued = coupons.stage_rule_coupon(
            deps, uow, member_id, welcome, now, "tier_up", skip_coupons
        )
        deps.members.stage_account(
            uow, member, account, zone=zone, now=now, new_id=lambda: deps.new_id(now)
        )
        body = PurchaseOut(
            order_id=request.order_id,
            points_earned=earning.points,
            points_status=status,
            vests_at=vests_at if status == "pending" else None,
            expires_at=lot_expiry if earned_lot else None,
            expires_on=last_day if earned_lot else None,
            breakdown=_lines(earning),
            program_version=program.version or 0,
            member=member_out(member, program, now),
            growth_earned=growth,
            tier_changed=change,
            coupons_issued=[coupons.coupon_out(issued, now)] if issued else [],
            coupons_skipped=coupons.skipped_out(skip_coupons),
        ).model_dump_json()
        deps.members.stage_new_order(
            uow,
            member_id,
            OrderRecord(
                order_id=request.order_id,
                amount=request.amount,
                currency=request.currency,
                points_earned=earning.points,
                lot_id=lot_id if earned_lot else None,
                refunded_amount=0,
                points_clawed_back=0,
                program_version=program.version or 0,
                request_hash=fingerprint,
                response=body,
                occurred_at=occurred,
                growth_earned=growth,
            ),
        )
        stage_answer(deps, uow, idem, 201, body)
        try:
            uow.commit()
        except WriteRejected as rejected:
            if (
                "order_is_new" in rejected.failed
                and "idempotency_key_is_new" not in rejected.failed
            ):
                return existing_order()
            coupons.skip_refused_rule_coupons(rejected, skip_coupons)  # retry without that coupon
            raise
        return Answer(201, body)

    return run_write(deps, idem, attempt)


def redeem(deps: Deps, member_id: str, request: RedemptionRequest, idem: Idem | None) -> Answer:
    """Spend points as cash-off on an order, soonest-expiring first; one redemption per order."""
    program = current_program(deps)
    rate = program.redemption
    if request.points % rate.points:
        raise ValidationFailed(
            f"points must be a multiple of {rate.points} ({rate.points} points = {rate.amount})",
            param="points",
        )
    if request.points < rate.min_points:
        raise ValidationFailed(f"at least {rate.min_points} points per redemption", param="points")
    fingerprint = request_hash("redeem", request.model_dump(mode="json"))

    def existing_redemption() -> Answer | None:
        record = deps.members.redemption(member_id, request.order_id)
        if record is None:
            return None
        if record.request_hash != fingerprint:
            raise OrderConflict(
                f"order {request.order_id} already has a points redemption of {record.points}",
                param="order_id",
            )
        return Answer(201, record.response, replayed=True)

    def attempt() -> Answer:
        now = deps.clock()
        member, account = load_account(deps, member_id, now)
        discount = redemption_discount(request.points, program)
        try:
            allocations = account.redeem(
                request.points,
                request.order_id,
                reason=f"redeemed on order {request.order_id} for "
                f"{format_amount(discount)} {program.currency} off",
            )
        except DomainError:
            first = existing_redemption()  # a retry after the points were spent by this order
            if first is not None:
                return first
            raise
        uow = deps.uow()
        deps.members.stage_account(
            uow, member, account, zone=program.zone, now=now, new_id=lambda: deps.new_id(now)
        )
        body = RedemptionOut(
            order_id=request.order_id,
            points_redeemed=request.points,
            discount_amount=discount,
            currency=program.currency,
            member=member_out(member, program, now),
        ).model_dump_json()
        deps.members.stage_redemption(
            uow,
            member_id,
            RedemptionRecord(
                order_id=request.order_id,
                points=request.points,
                discount_amount=discount,
                allocations=[(lot_id, taken, 0) for lot_id, taken in allocations],
                request_hash=fingerprint,
                response=body,
                created_at=now,
            ),
            is_new=True,
        )
        stage_answer(deps, uow, idem, 201, body)
        try:
            uow.commit()
        except WriteRejected as rejected:
            if (
                "redemption_is_new" in rejected.failed
                and "idempotency_key_is_new" not in rejected.failed
                and (first := existing_redemption()) is not None
            ):
                return first
            raise
        return Answer(201, body)

    return run_write(deps, idem, attempt)


def refund(deps: Deps, member_id: str, request: RefundRequest, idem: Idem | None) -> Answer:
    """Claw back what the refunded part earned and give back the points redeemed on it."""
    program = current_program(deps)
    fingerprint = request_hash("refund", request.model_dump(mode="json"))

    def recorded_refund() -> Answer | None:
        if request.refund_id is None:
            return None
        found = deps.once.get(member_id, "refund", f"{request.order_id}#{request.refund_id}")
        if found is None:
            return None
        return replay(found[0], found[1], 201, fingerprint, "refund_id")

    def attempt() -> Answer:
        first = recorded_refund()
        if first is not None:
            return first
        order, redemption = deps.members.order_and_redemption(member_id, request.order_id)
        now = deps.clock()
        member, account = load_account(deps, member_id, now)
        if order is None:
            raise OrderNotFound(
                f"member {member_id} has no purchase {request.order_id}", param="order_id"
            )
        wanted = {order.lot_id} if order.lot_id else set()
        wanted |= {lot_id for lot_id, _, _ in redemption.allocations} if redemption else set()
        missing = wanted - account.lots.keys()
        if missing:  # spent lots are not in the member query; they come back for the refund
            for lot in deps.members.lots(member_id, missing):
                account.lots[lot.lot_id] = lot
        plan = plan_refund(
            order_amount=order.amount,
            refunded_before=order.refunded_amount,
            refund_amount=request.amount,
            points_earned=order.points_earned,
            clawed_before=order.points_clawed_back,
            redeemed=redemption.allocations if redemption else [],
            expiry_of=lambda lot_id: account.lots[lot_id].expires_at,
        )
        account.claw_back(
            plan.clawback,
            request.order_id,
            order.lot_id,
            reason=f"refund of {format_amount(request.amount)} on order {request.order_id}: "
            f"{plan.clawback} points clawed back",
        )
        returned = sum(n for _, n in plan.returns)
        account.give_back(
            plan.returns,
            request.order_id,
            reason=f"refund of {format_amount(request.amount)} on order {request.order_id}: "
            f"{returned} redeemed points given back with their original expiry",
        )
        fully_refunded = plan.refunded_after == order.amount
        growth_back = (
            proportional(order.growth_earned, plan.refunded_after, order.amount)
            - order.growth_clawed_back
        )
        tiers.on_refund(
            program,
            member,
            occurred=order.occurred_at,
            now=now,
            amount=request.amount,
            order_fully_refunded=fully_refunded,
            growth=growth_back,
        )
        uow = deps.uow()
        returned_codes = (
            _return_coupons(deps, uow, member_id, request.order_id, now) if (fully_refunded) else []
        )
        deps.members.stage_account(
            uow, member, account, zone=program.zone, now=now, new_id=lambda: deps.new_id(now)
        )
        body = RefundOut(
            order_id=request.order_id,
            refund_amount=request.amount,
            refunded_total=plan.refunded_after,
            points_clawed_back=plan.clawback,
            points_returned=returned,
            member=member_out(member, program, now),
            coupons_returned=returned_codes,
        ).model_dump_json()
        deps.members.stage_order_refund(
            uow,
            member_id,
            OrderRecord(
                **{
                    **order.__dict__,
                    "refunded_amount": plan.refunded_after,
                    "points_clawed_back": order.points_clawed_back + plan.clawback,
                    "growth_clawed_back": order.growth_clawed_back + growth_back,
                }
            ),
            refunded_before=order.refunded_amount,
        )
        if redemption is not None and plan.returns:
            back = dict(plan.returns)
            allocations = [
                (lot, taken, prev + back.get(lot, 0)) for lot, taken, prev in redemption.allocations
            ]
            deps.members.stage_redemption(
                uow,
                member_id,
                RedemptionRecord(**{**redemption.__dict__, "allocations": allocations}),
                is_new=False,
            )
        if request.refund_id is not None:
            deps.once.stage(
                uow,
                member_id,
                "refund",
                f"{request.order_id}#{request.refund_id}",
                fingerprint,
                body,
            )
        stage_answer(deps, uow, idem, 201, body)
        uow.commit()
        return Answer(201, body)

    return run_write(deps, idem, attempt)


def _return_coupons(
    deps: Deps, uow: UnitOfWork, member_id: str, order_id: str, now: datetime
) -> list[str]:
    """A full refund gives back the coupons used on the order whose template says so."""
    on_order = deps.coupons.order_coupons(member_id, order_id)
    returned = []
    for code in on_order.codes:
        coupon = deps.coupons.coupon(member_id, code)
        if coupon and coupon.status == "redeemed" and coupon.template.return_on_refund:
            coupons.stage_release(deps, uow, coupon, now)
            returned.append(code)
    if returned:
        deps.coupons.stage_order_coupons(
            uow, member_id, on_order, coupons.without(on_order, returned)
        )
    return returned


def ledger(deps: Deps, member_id: str, limit: int, cursor: str | None) -> LedgerPage:
    if deps.members.get_member(member_id) is None:
        raise MemberNotFound(f"no member {member_id}", param="member_id")
    rows, next_cursor = deps.members.ledger(member_id, limit, cursor)
    return LedgerPage(
        entries=[
            LedgerEntryOut(
                entry_id=row.entry_id,
                kind=row.kind,
                points=row.points,
                balance_delta=row.balance_delta,
                pending_delta=row.pending_delta,
                debt_delta=row.debt_delta,
                balance_after=row.balance_after,
                pending_after=row.pending_after,
                debt_after=row.debt_after,
                reason=row.reason,
                order_id=row.order_id,
                created_at=row.created_at,
            )
            for row in rows
        ],
        next_cursor=next_cursor,
    )
