"""Customer spending: counted once when an order is COMPLETED and PAID, reversed on refund."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from ..extensions import db
from ..models import Customer, MembershipLevel, Order, OrderStatus, PaymentStatus

LEVEL_THRESHOLDS = (
    (Decimal("10000000"), MembershipLevel.PLATINUM),
    (Decimal("5000000"), MembershipLevel.GOLD),
    (Decimal("2000000"), MembershipLevel.SILVER),
)
LEVEL_DISCOUNTS = {
    MembershipLevel.PLATINUM: Decimal("20"),
    MembershipLevel.GOLD: Decimal("15"),
    MembershipLevel.SILVER: Decimal("10"),
    MembershipLevel.BRONZE: Decimal("5"),
}
POINT_VALUE = Decimal("10000")


def membership_level_for(total_spent: Decimal) -> MembershipLevel:
    """Platinum >= 10 jt, Gold >= 5 jt, Silver >= 2 jt, else Bronze (seed 003)."""
    for threshold, level in LEVEL_THRESHOLDS:
        if total_spent >= threshold:
            return level
    return MembershipLevel.BRONZE


def points_for(total: Decimal) -> int:
    """One point per Rp 10.000 spent, rounded down."""
    return int(total // POINT_VALUE) if total > 0 else 0


def sync_purchase_stats(order: Order) -> None:
    """Count the order in its customer's stats once when COMPLETED and PAID; undo on refund.

    The flag flips with a conditional update, so two concurrent changes (one completing,
    one marking paid) count the order exactly once.
    """
    if order.customer_id is None:
        return
    orders = Order.__table__
    if order.counts_as_purchase() and not order.stats_applied:
        flipped = db.session.execute(
            update(orders).where(
                orders.c.id == order.id, orders.c.stats_applied.is_(False),
                orders.c.status == OrderStatus.COMPLETED.value,
                orders.c.payment_status == PaymentStatus.PAID.value,
            ).values(stats_applied=True)
        ).rowcount
        if flipped:
            order.stats_applied = True
            _add_to_customer(order.customer_id, order.total, +1)
    elif order.stats_applied and not order.counts_as_purchase():
        flipped = db.session.execute(
            update(orders).where(orders.c.id == order.id, orders.c.stats_applied.is_(True))
            .values(stats_applied=False)
        ).rowcount
        if flipped:
            order.stats_applied = False
            _add_to_customer(order.customer_id, order.total, -1)


def _add_to_customer(customer_id: int, total: Decimal, sign: int) -> None:
    """Add (or take back) one purchase of `total`, then settle level, discount and points."""
    customer = db.session.execute(
        select(Customer).where(Customer.id == customer_id).with_for_update()
    ).scalar_one()
    customer.total_spent = max(customer.total_spent + sign * total, Decimal("0"))
    customer.total_purchases = max(customer.total_purchases + sign, 0)
    customer.points = max(customer.points + sign * points_for(total), 0)
    level = membership_level_for(customer.total_spent)
    if level != customer.membership_level:
        customer.membership_level = level
        customer.discount = LEVEL_DISCOUNTS[level]
    db.session.flush([customer])
