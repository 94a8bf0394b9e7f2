"""Coupon templates, issued coupons and their counters, and the coupons on each order."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct
from pynamodb.expressions.condition import Condition

from ..domain.coupons import Coupon, CouponTemplate, OrderCoupons
from ..domain.errors import TemplateNotFound
from ..domain.guards import Guard, Rule
from . import keys, kpis
from .models import (
    CouponCountItem,
    CouponItem,
    CouponTemplateItem,
    Item,
    OrderCouponsItem,
    SharedCodeItem,
)
from .unit_of_work import UnitOfWork, dynamodb, get_or_none, scan_page


class TemplateRecord(Struct, frozen=True):
    template: CouponTemplate
    issued: int
    version: int
    created_at: datetime
    updated_at: datetime


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

    def stage_issue(
        self, uow: UnitOfWork, coupon: Coupon, *, limit: int | None, stock: int | None, day: str
    ) -> None:
        """The coupon, the template's issued counter (never past stock) and the member's count
        of this template (never past the limit), all or nothing; counted on the brand-local
        `day` in the merchant's figures (a shared code claimed as it is used: issued and used)."""
        tid = coupon.template.template_id
        used = {"redeemed": 1} if coupon.status == "redeemed" else {}
        kpis.stage_coupon(uow, coupon.member_id, day, tid, issued=1, **used)
        uow.put(
            Guard(Rule.COUPON_IS_NEW, coupon.code),
            self._coupon_item(coupon),
            CouponItem.pk.does_not_exist(),
        )
        counter = CouponTemplateItem(pk=keys.TEMPLATES_PK, sk=tid)
        in_stock = CouponTemplateItem.pk.exists()
        if stock is not None:
            in_stock = in_stock & (CouponTemplateItem.issued < stock)
        uow.update(
            Guard(Rule.COUPON_STOCK, tid), counter, [CouponTemplateItem.issued.add(1)], in_stock
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
        day: str,
        is_new: bool = False,
    ) -> None:
        """The coupon in its new state, only if it is still in the one read; a use (issued →
        redeemed) or a give-back (redeemed → issued) counted on the brand-local `day`."""
        moved = (expected_status, coupon.status)
        if moved == ("issued", "redeemed"):
            kpis.stage_coupon(uow, coupon.member_id, day, coupon.template.template_id, redeemed=1)
        elif moved == ("redeemed", "issued"):
            kpis.stage_coupon(uow, coupon.member_id, day, coupon.template.template_id, released=1)
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
