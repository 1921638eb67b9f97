"""A dealer shop's own orders in the B2B portal (seed 004): its history, one order, and
cancelling one while it still waits for the distributor's approval. Every lookup is scoped
to the shop, so another shop's order ids are simply not found."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..errors import NotFound, StaleChange, TransitionRefused
from ..extensions import db
from ..models import Order, OrderItem, OrderStatus, Shop
from .labels import ORDER_STATUS_LABELS
from .orders import transition
from .validation import clean_page_number, clean_text, page_count

PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
#: The longest reason a shop may give for cancelling.
REASON_MAX = 500


@dataclass(frozen=True)
class OrdersPage:
    orders: list[Order]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)


def dealer_orders(shop: Shop, page=None, per_page=None) -> OrdersPage:
    """The shop's orders, newest first, one page of them."""
    page_no = clean_page_number(page, 1, MAX_PAGE)
    size = clean_page_number(per_page, PER_PAGE, MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(Order)
                              .where(Order.shop_id == shop.id))
    orders = db.session.scalars(
        select(Order).where(Order.shop_id == shop.id)
        .order_by(Order.created_at.desc(), Order.number.desc())
        .offset((page_no - 1) * size).limit(size)).all()
    return OrdersPage(list(orders), total, page_no, size)


def dealer_order(shop: Shop, order_id) -> Order:
    """One order of the shop (another shop's, a storefront order and an unknown id are all
    not found). Raises NotFound."""
    order = (db.session.get(Order, order_id)
             if isinstance(order_id, str) and 0 < len(order_id) <= 32 else None)
    if order is None or order.shop_id != shop.id:
        raise NotFound("Pesanan tidak ditemukan.")
    return order


def order_lines(order: Order) -> list[OrderItem]:
    """The order's lines, in the order they were bought."""
    return list(db.session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)
                                   .order_by(OrderItem.id)))


def can_cancel(order: Order) -> bool:
    """Whether the shop may still cancel the order: only until the distributor decides."""
    return order.status == OrderStatus.PENDING


def cancel_dealer_order(shop: Shop, order_id, *, reason: str | None = None) -> Order:
    """Cancel one of the shop's orders while it is PENDING (not yet approved), with an
    optional reason. Raises NotFound, InvalidInput (reason) or TransitionRefused (already
    decided, also when an admin decides at the same moment)."""
    order = dealer_order(shop, order_id)
    note = clean_text(reason, field="reason", label="Alasan", limit=REASON_MAX,
                      multiline=False)
    if not can_cancel(order):
        raise _not_cancellable(order.number, order.status)
    try:
        transition(order, OrderStatus.CANCELLED, actor=f"shop:{shop.code}",
                   note=note or "Dibatalkan oleh toko")
    except StaleChange:  # an admin approved or rejected it in the meantime
        current = db.session.scalar(select(Order.status).where(Order.id == order.id))
        raise _not_cancellable(order.number, OrderStatus(current)) from None
    return order


def _not_cancellable(number: str, status: OrderStatus) -> TransitionRefused:
    return TransitionRefused(
        f"Pesanan {number} sudah {ORDER_STATUS_LABELS[status]}; hanya pesanan yang menunggu "
        "konfirmasi yang bisa dibatalkan.", allowed=[], status=status.value)
