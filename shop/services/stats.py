"""Customer spending: counted once when an order is COMPLETED and PAID, reversed on refund."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, not_, select, update
from sqlalchemy.orm.attributes import set_committed_value

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
#: Only an order in one of these (or with one of these payments) can start or stop counting.
SETTLING_STATUSES = (OrderStatus.COMPLETED, OrderStatus.REFUNDED)
SETTLING_PAYMENTS = (PaymentStatus.PAID, PaymentStatus.REFUNDED)


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

    Decided by conditional updates on the row, not by the object in memory: the object may
    hold an old payment status (or status) when another request changed it meanwhile, and
    the change that comes last must still count the order. The flag flips exactly once.
    """
    if not (order.status in SETTLING_STATUSES or order.payment_status in SETTLING_PAYMENTS):
        return  # nothing this order can be has changed whether it counts
    orders = Order.__table__
    counts = and_(orders.c.status == OrderStatus.COMPLETED.value,
                  orders.c.payment_status == PaymentStatus.PAID.value)
    for applied, condition, sign in ((False, counts, +1), (True, not_(counts), -1)):
        row = db.session.execute(
            update(orders)
            .where(orders.c.id == order.id, orders.c.stats_applied.is_(applied), condition)
            .values(stats_applied=not applied)
            .returning(orders.c.customer_id, orders.c.total)
        ).first()
        if row is not None:
            set_committed_value(order, "stats_applied", not applied)
            if row.customer_id is not None:
                _add_to_customer(row.customer_id, row.total, sign)
            return


def _add_to_customer(customer_id: int, total: Decimal, sign: int) -> None:
    """Add (or take back) one purchase of `total`, then settle level, discount and points."""
    customer = db.session.execute(
        select(Customer).where(Customer.id == customer_id).with_for_update()
        .execution_options(populate_existing=True)  # the locked row, not an older copy
    ).scalar_one()
    customer.total_spent = max(customer.total_spent + sign * total, Decimal("0"))
    customer.total_purchases = max(customer.total_purchases + sign, 0)
    customer.points = max(customer.points + sign * points_for(total), 0)
    level = membership_level_for(customer.total_spent)
    if level != customer.membership_level:
        customer.membership_level = level
        customer.discount = LEVEL_DISCOUNTS[level]
    db.session.flush()
