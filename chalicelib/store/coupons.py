"""Coupon templates, issued coupons and their counters, and the coupons on each order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition

from ..domain.coupons import Coupon, CouponTemplate, OrderCoupons, TemplateRecord, split_stock
from ..domain.errors import TemplateNotFound
from ..domain.guards import Guard, Rule
from . import keys
from .models import (
    CouponCountItem,
    CouponItem,
    CouponTemplateItem,
    Item,
    KpiCountItem,
    OrderCouponsItem,
    SharedCodeItem,
    StockSliceItem,
)
from .unit_of_work import UnitOfWork, dynamodb, get_or_none, scan_page


def _template_from(item: CouponTemplateItem) -> TemplateRecord:
    return TemplateRecord(
        CouponTemplate.model_validate_json(item.document),
        int(item.issued or 0),
        int(item.version or 1),
        item.created_at,
        item.updated_at,
    )


def _coupon_from(member_id: str, item: CouponItem) -> Coupon:
    return Coupon(
        member_id=member_id,
        code=item.code,
        template=CouponTemplate.model_validate_json(item.rules),
        status=item.status,
        source=item.source,
        issued_at=item.issued_at,
        valid_from=item.valid_from,
        valid_until=item.valid_until,
        order_id=item.order_id,
        redeemed_at=item.redeemed_at,
        released_order_id=item.released_order_id,
        released_at=item.released_at,
        answer=item.answer,
    )


class CouponStore:
    # -- templates ----------------------------------------------------------------------------

    def scan(self, after: str | None, limit: int) -> tuple[list[Coupon], str | None]:
        """Every member's coupons, a page at a time (the export)."""
        items, after = scan_page(CouponItem, after, limit)
        return [_coupon_from(item.pk.split("#", 1)[1], item) for item in items], after

    def template(self, template_id: str) -> TemplateRecord | None:
        item = get_or_none(CouponTemplateItem, keys.TEMPLATES_PK, template_id)
        if item is None:
            return None
        return _template_from(item)

    def require_template(self, template_id: str) -> TemplateRecord:
        """The template, or TemplateNotFound."""
        found = self.template(template_id)
        if found is None:
            raise TemplateNotFound(f"no coupon template {template_id}", param="template_id")
        return found

    def templates(self) -> list[TemplateRecord]:
        with dynamodb():
            items = list(CouponTemplateItem.query(keys.TEMPLATES_PK))
        return [_template_from(i) for i in items]

    # -- stock: slices, each taken from by one conditional write (never below 0) ----------------

    def stock_left(self, template: CouponTemplate) -> list[int | None]:
        """What is left of each slice (None: a slice not made yet, as a template stocked before
        slices were)."""
        tid, n = template.template_id, template.slice_count
        found: dict[str, int] = {}
        with dynamodb():
            for item in StockSliceItem.batch_get(
                [(keys.stock_slice_pk(tid, s), keys.STOCK_SK) for s in range(n)]
            ):
                found[item.pk] = int(item.left or 0)
        return [found.get(keys.stock_slice_pk(tid, s)) for s in range(n)]

    def stage_slices(
        self,
        uow: UnitOfWork,
        template_id: str,
        wanted: list[int],
        read: list[int | None],
    ) -> None:
        """The slices as `wanted` (what each holds), each only if it is still as `read` (a claim
        meanwhile fails the write, which is then done again); slices past `wanted` removed."""
        for s in range(max(len(wanted), len(read))):
            item = StockSliceItem(
                pk=keys.stock_slice_pk(template_id, s), sk=keys.STOCK_SK, template_id=template_id
            )
            before = read[s] if s < len(read) else None
            unchanged = (
                StockSliceItem.pk.does_not_exist()
                if before is None
                else StockSliceItem.left == before
            )
            guard = Guard(Rule.COUPON_STOCK, template_id)
            if s < len(wanted):
                item.left = wanted[s]
                uow.put(guard, item, unchanged)
            elif before is not None:
                uow.delete(guard, item, unchanged)

    def reserve(self, template: CouponTemplate, draw: Callable[[], float]) -> int | None:
        """Take one unit of the template's stock: from a slice drawn at random, then from any
        other with some left; the slice taken from, or None when every slice is empty."""
        n = template.slice_count
        first = min(int(draw() * n), n - 1)
        if self._take(template.template_id, first):
            return first
        left = self.stock_left(template)
        others = [s for s in range(n) if s != first and (left[s] or 0) > 0]
        others.sort(key=lambda s: draw())
        for s in others:
            if self._take(template.template_id, s):
                return s
        return None

    def issued(self, record: TemplateRecord) -> int:
        """Coupons issued of a template: for a stocked one, its stock less what its slices
        hold; otherwise what the stream consumer counted, beside what the template's own
        counter counted before the figures came from the stream."""
        template = record.template
        if template.total_stock is not None:
            left = self.stock_left(template)
            if any(part is not None for part in left):
                return template.total_stock - sum(part or 0 for part in left)
            return record.issued
        name = f"issued@{template.template_id}#"
        with dynamodb():
            counted = sum(
                int(item.n or 0)
                for item in KpiCountItem.query(keys.KPI_COUNT_PK, KpiCountItem.sk.startswith(name))
            )
        return record.issued + counted

    def slice_unsliced(self, record: TemplateRecord) -> None:
        """A template stocked before stock came in slices: its slices made from what its own
        counter says is left (once: a slice is made only where there is none)."""
        template = record.template
        assert template.total_stock is not None
        wanted = split_stock(max(template.total_stock - record.issued, 0), template.slice_count)
        for s, left in enumerate(wanted):
            item = StockSliceItem(
                pk=keys.stock_slice_pk(template.template_id, s),
                sk=keys.STOCK_SK,
                template_id=template.template_id,
                left=left,
            )
            with dynamodb():
                try:
                    item.save(condition=StockSliceItem.pk.does_not_exist())
                except PutError as exc:
                    if exc.cause_response_code != "ConditionalCheckFailedException":
                        raise

    def give_back(self, template_id: str, slice_: int) -> None:
        """A unit taken for a write that did not happen, back to its slice."""
        item = StockSliceItem(pk=keys.stock_slice_pk(template_id, slice_), sk=keys.STOCK_SK)
        with dynamodb():
            item.update(actions=[StockSliceItem.left.add(1)])

    def _take(self, template_id: str, slice_: int) -> bool:
        item = StockSliceItem(pk=keys.stock_slice_pk(template_id, slice_), sk=keys.STOCK_SK)
        with dynamodb():
            try:
                item.update(
                    actions=[StockSliceItem.left.add(-1)], condition=StockSliceItem.left > 0
                )
            except UpdateError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def template_for_shared_code(self, code: str) -> str | None:
        item = get_or_none(SharedCodeItem, keys.shared_code_pk(code), keys.SHARED_CODE_SK)
        if item is None:
            return None
        return item.template_id

    def stage_template(
        self,
        uow: UnitOfWork,
        template: CouponTemplate,
        now: datetime,
        *,
        previous: TemplateRecord | None,
    ) -> None:
        """Create (first time only) or replace a template; the issued counter is kept as is."""
        if previous is None:
            item = CouponTemplateItem(
                pk=keys.TEMPLATES_PK,
                sk=template.template_id,
                template_id=template.template_id,
                document=template.model_dump_json(),
                issued=0,
                version=1,
                created_at=now,
                updated_at=now,
            )
            uow.put(Guard(Rule.TEMPLATE_IS_NEW), item, CouponTemplateItem.pk.does_not_exist())
        else:
            item = CouponTemplateItem(pk=keys.TEMPLATES_PK, sk=template.template_id)
            uow.update(
                Guard(Rule.TEMPLATE_VERSION),
                item,
                [
                    CouponTemplateItem.document.set(template.model_dump_json()),
                    CouponTemplateItem.version.set(previous.version + 1),
                    CouponTemplateItem.updated_at.set(now),
                ],
                CouponTemplateItem.version == previous.version,
            )
        old_code = previous.template.shared_code if previous else None
        new_code = template.shared_code
        if new_code and new_code != old_code:
            shared = SharedCodeItem(
                pk=keys.shared_code_pk(new_code),
                sk=keys.SHARED_CODE_SK,
                template_id=template.template_id,
            )
            uow.put(Guard(Rule.SHARED_CODE_IS_NEW), shared, SharedCodeItem.pk.does_not_exist())

    # -- coupons ------------------------------------------------------------------------------

    def coupon(self, member_id: str, code: str) -> Coupon | None:
        item = get_or_none(CouponItem, keys.member_pk(member_id), keys.coupon_sk(code))
        if item is None:
            return None
        return _coupon_from(member_id, item)

    def coupons(self, member_id: str) -> list[Coupon]:
        with dynamodb():
            items = list(
                CouponItem.query(
                    keys.member_pk(member_id), CouponItem.sk.startswith(keys.COUPON_PREFIX)
                )
            )
        return [_coupon_from(member_id, item) for item in items]

    def stage_issue(self, uow: UnitOfWork, coupon: Coupon, *, limit: int | None) -> None:
        """The coupon and the member's count of this template (never past the limit), all or
        nothing: the member's own items only (a unit of stock is reserved before, by
        `reserve`; the figures count the coupon off the stream)."""
        tid = coupon.template.template_id
        uow.put(
            Guard(Rule.COUPON_IS_NEW, coupon.code),
            self._coupon_item(coupon),
            CouponItem.pk.does_not_exist(),
        )
        count = CouponCountItem(
            pk=keys.member_pk(coupon.member_id), sk=keys.coupon_count_sk(tid), template_id=tid
        )
        under_limit = None
        if limit is not None:
            under_limit = CouponCountItem.held.does_not_exist() | (CouponCountItem.held < limit)
        uow.update(
            Guard(Rule.COUPON_LIMIT, tid),
            count,
            [
                CouponCountItem.held.add(1),
                CouponCountItem.template_id.set(tid),
                Item.type.set(CouponCountItem),
            ],
            under_limit,
        )

    def stage_coupon_state(
        self,
        uow: UnitOfWork,
        coupon: Coupon,
        *,
        expected_status: str,
        is_new: bool = False,
    ) -> None:
        """The coupon in its new state, only if it is still in the one read (a use or a
        give-back, which the figures count off the stream)."""
        condition = (
            CouponItem.pk.does_not_exist() if is_new else CouponItem.status == expected_status
        )
        uow.put(Guard(Rule.COUPON_STATE, coupon.code), self._coupon_item(coupon), condition)

    @staticmethod
    def _coupon_item(coupon: Coupon) -> CouponItem:
        return CouponItem(
            pk=keys.member_pk(coupon.member_id),
            sk=keys.coupon_sk(coupon.code),
            code=coupon.code,
            template_id=coupon.template.template_id,
            rules=coupon.template.model_dump_json(),
            status=coupon.status,
            source=coupon.source,
            issued_at=coupon.issued_at,
            valid_from=coupon.valid_from,
            valid_until=coupon.valid_until,
            order_id=coupon.order_id,
            redeemed_at=coupon.redeemed_at,
            released_order_id=coupon.released_order_id,
            released_at=coupon.released_at,
            answer=coupon.answer,
        )

    # -- coupons on an order ------------------------------------------------------------------

    def order_coupons(self, member_id: str, order_id: str) -> OrderCoupons:
        item = get_or_none(
            OrderCouponsItem, keys.member_pk(member_id), keys.order_coupons_sk(order_id)
        )
        if item is None:
            return OrderCoupons(order_id)
        return OrderCoupons(order_id, tuple(item.codes or []), bool(item.exclusive), exists=True)

    def stage_order_coupons(
        self, uow: UnitOfWork, member_id: str, before: OrderCoupons, after: OrderCoupons
    ) -> None:
        item = OrderCouponsItem(
            pk=keys.member_pk(member_id),
            sk=keys.order_coupons_sk(after.order_id),
            order_id=after.order_id,
            codes=list(after.codes),
            exclusive=after.exclusive,
        )
        condition: Condition = (
            OrderCouponsItem.codes == list(before.codes)
            if before.exists
            else OrderCouponsItem.pk.does_not_exist()
        )
        uow.put(Guard(Rule.ORDER_COUPONS_AS_READ, after.order_id), item, condition)
