"""Customer figures of seed 003: the overview of an admin's customers (the stats answer and
the dashboard) and one customer's purchase analytics.

Answers use the seed's camelCase keys with Python values (Decimal money, aware datetimes,
enum values as text); the JSON API turns them into JSON, templates format them.
A purchase is an order both COMPLETED and PAID, as in the customer's own totals (stats.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, distinct, false, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    CENT,
    Customer,
    CustomerStatus,
    CustomerType,
    MembershipLevel,
    Order,
    OrderItem,
    OrderStatus,
    PaymentStatus,
    Store,
)
from .access import Scope

TOP_CUSTOMERS = 5
RECENT_CUSTOMERS = 5
RECENT_ORDERS = 10
TOP_PRODUCTS = 5
MONTHS = 12
ZERO = Decimal("0.00")


def customer_overview(scope: Scope, *, now: datetime) -> dict:
    """The seed's stats: overview, customersByLevel, topCustomers and recentCustomers of the
    admin's stores (soft-deleted customers left out)."""
    counts = customer_counts(scope, now=now)
    kept = _kept(scope)
    top = db.session.execute(
        select(Customer.id, Customer.name, Customer.total_spent, Customer.total_purchases,
               Customer.membership_level)
        .where(kept, Customer.total_spent > 0)
        .order_by(Customer.total_spent.desc(), Customer.id).limit(TOP_CUSTOMERS)).all()
    recent = db.session.execute(
        select(Customer.id, Customer.name, Customer.phone, Customer.type,
               Customer.membership_level, Customer.created_at)
        .where(kept).order_by(Customer.created_at.desc(), Customer.id.desc())
        .limit(RECENT_CUSTOMERS)).all()
    return {
        "overview": counts["overview"],
        "customersByLevel": counts["customersByLevel"],
        "topCustomers": [
            {"id": r.id, "name": r.name, "totalSpent": r.total_spent,
             "totalPurchases": r.total_purchases, "membershipLevel": r.membership_level.value}
            for r in top],
        "recentCustomers": [
            {"id": r.id, "name": r.name, "phone": r.phone, "type": r.type.value,
             "membershipLevel": r.membership_level.value, "createdAt": r.created_at}
            for r in recent],
    }


def customer_counts(scope: Scope, *, now: datetime) -> dict:
    """overview and customersByLevel, read in one aggregate statement (plus the stores'
    time zones, which decide when "this month" began for each store)."""
    def count_of(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    levels = list(MembershipLevel)
    row = db.session.execute(select(
        func.count(),
        count_of(Customer.status == CustomerStatus.ACTIVE),
        count_of(Customer.type == CustomerType.VIP),
        count_of(Customer.type == CustomerType.MEMBER),
        count_of(_created_this_month(scope, now)),
        func.coalesce(func.sum(Customer.total_spent), 0),
        func.coalesce(func.sum(Customer.total_purchases), 0),
        *(count_of(Customer.membership_level == level) for level in levels),
    ).where(_kept(scope))).one()
    total, active, vip, member, new, spent, purchases = row[:7]
    spent = _money(spent)
    return {
        "overview": {
            "totalCustomers": total, "activeCustomers": active, "vipCustomers": vip,
            "memberCustomers": member, "newCustomersThisMonth": new,
            "avgLifetimeValue": _money(spent / total) if total else ZERO,
            "avgPurchases": round(int(purchases) / total, 2) if total else 0,
            "totalRevenue": spent,
        },
        "customersByLevel": [{"level": level.value, "count": int(count)}
                             for level, count in zip(levels, row[7:], strict=True)],
    }


def _kept(scope: Scope) -> ColumnElement[bool]:
    """The admin's customers that are not soft-deleted."""
    return and_(scope.where(Customer.store_id), Customer.is_active.is_(True))


def _created_this_month(scope: Scope, now: datetime) -> ColumnElement[bool]:
    """Customers created since the first of the month in their own store's time zone."""
    stores = db.session.execute(
        select(Store.id, Store.timezone).where(scope.where(Store.id))).all()
    by_zone: dict[str, list[int]] = defaultdict(list)
    for store_id, zone in stores:
        by_zone[zone or "Asia/Jakarta"].append(store_id)
    if not by_zone:
        return false()
    return or_(*(
        and_(Customer.store_id.in_(ids), Customer.created_at >= month_start(now, zone))
        for zone, ids in sorted(by_zone.items())))


def month_start(now: datetime, zone: str, *, months_back: int = 0) -> datetime:
    """Midnight of the first day of the month (months_back before now's) in the zone, UTC."""
    local = now.astimezone(ZoneInfo(zone))
    index = local.year * 12 + local.month - 1 - months_back
    start = datetime(index // 12, index % 12 + 1, 1, tzinfo=ZoneInfo(zone))
    return start.astimezone(UTC)


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- one customer ---------------------------------------------------------------------------


def customer_detail_stats(customer: Customer, *, now: datetime) -> dict:
    """purchaseStats, recentTransactions (recent orders of any status, with items),
    topProducts and monthlySpending (12 months, oldest first, empty months included)."""
    zone = db.session.get(Store, customer.store_id).timezone or "Asia/Jakarta"
    bought = _purchases(customer)
    count, spent, last = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Order.total), 0), func.max(Order.created_at))
        .where(bought)).one()
    spent = _money(spent)
    return {
        "purchaseStats": {
            "totalTransactions": count, "totalSpent": spent,
            "averageOrderValue": _money(spent / count) if count else ZERO,
            "lastPurchaseDate": last,
        },
        "recentTransactions": recent_orders(customer),
        "topProducts": top_products(customer),
        "monthlySpending": monthly_spending(customer, now=now, zone=zone),
    }


def _purchases(customer: Customer) -> ColumnElement[bool]:
    return and_(Order.customer_id == customer.id, Order.store_id == customer.store_id,
                Order.status == OrderStatus.COMPLETED, Order.payment_status == PaymentStatus.PAID)


def recent_orders(customer: Customer, limit: int = RECENT_ORDERS) -> list[dict]:
    """The customer's latest orders, whatever their status, with their lines."""
    orders = db.session.execute(
        select(Order).where(Order.customer_id == customer.id,
                            Order.store_id == customer.store_id)
        .order_by(Order.created_at.desc(), Order.id).limit(limit)
        .options(selectinload(Order.items))).scalars().all()
    return [{
        "id": o.id, "transactionNumber": o.number, "status": o.status.value,
        "paymentStatus": o.payment_status.value, "total": o.total, "createdAt": o.created_at,
        "items": [{"code": i.code, "name": i.name, "qty": i.qty, "unitPrice": i.unit_price,
                   "discount": i.discount, "subtotal": i.subtotal} for i in o.items],
    } for o in orders]


def top_products(customer: Customer, limit: int = TOP_PRODUCTS) -> list[dict]:
    """The products the customer bought most (by quantity, over its purchases)."""
    quantity = func.sum(OrderItem.qty)
    rows = db.session.execute(
        select(OrderItem.code, func.max(OrderItem.product_id), func.max(OrderItem.name),
               quantity, func.count(distinct(OrderItem.order_id)),
               func.coalesce(func.sum(OrderItem.subtotal), 0))
        .join(Order, Order.id == OrderItem.order_id).where(_purchases(customer))
        .group_by(OrderItem.code).order_by(quantity.desc(), OrderItem.code).limit(limit)).all()
    return [{"productId": pid, "productCode": code, "productName": name,
             "totalQuantity": int(qty), "purchaseCount": orders, "totalSpent": _money(spent)}
            for code, pid, name, qty, orders, spent in rows]


def monthly_spending(customer: Customer, *, now: datetime, zone: str) -> list[dict]:
    """Spending per month of the store's calendar for the last 12 months, oldest first."""
    tz = ZoneInfo(zone)
    start = month_start(now, zone, months_back=MONTHS - 1)
    months: dict[str, list] = {}
    for back in range(MONTHS - 1, -1, -1):
        local = month_start(now, zone, months_back=back).astimezone(tz)
        months[f"{local.year:04d}-{local.month:02d}"] = [ZERO, 0]
    rows = db.session.execute(select(Order.created_at, Order.total)
                              .where(_purchases(customer), Order.created_at >= start)).all()
    for created_at, total in rows:
        local = created_at.astimezone(tz)
        bucket = months.get(f"{local.year:04d}-{local.month:02d}")
        if bucket is not None:  # an order dated after now (clock skew) is left out
            bucket[0] += total
            bucket[1] += 1
    return [{"month": month, "totalSpent": spent, "transactionCount": count}
            for month, (spent, count) in months.items()]
