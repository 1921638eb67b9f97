"""The back office's dashboard figures (seeds 001 and 004): orders and revenue today, this
month and per day, orders by status and channel, top products, what needs action, low stock.

Every figure is scoped (`Scope`) and read with a fixed number of aggregate statements
(`STATEMENTS`), whatever the number of orders: no query per row. The day, status, channel
and product figures read only the last month's orders (a range of the (store_id, created_at)
index); the "needs action" lists stop at LIST_LIMIT rows and are counted on indexes.

Definitions shown on the page:
- *Revenue* is the total of orders that are COMPLETED and PAID, counted on the day the order
  was placed (seed 001: "revenue of completed orders only").
- *Average order value* is that revenue divided by the number of those orders.
- *Orders by status and by channel* count the orders placed in the last 30 days, each by its
  status now.
- *Days* are the stores' local days: one store (or stores sharing a zone) in its own zone; a
  view over stores of different zones uses Asia/Jakarta (WIB), the business's home zone.
- *Top products* are the lines of the last 30 days' orders that were not cancelled, rejected
  or refunded (demand, paid or not), by quantity and by line value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, case, func, select, type_coerce

from ..errors import NotFound
from ..extensions import db
from ..models import (
    Channel,
    Money,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentRecordStatus,
    PaymentStatus,
    Product,
    Store,
)
from .access import Scope

HOME_ZONE = "Asia/Jakarta"
CHART_DAYS = 30
LIST_LIMIT = 10
TOP_LIMIT = 10
ZERO = Decimal("0.00")
#: Orders whose lines are not demand any more (top products leave them out).
NOT_SOLD = (OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.REFUNDED)
#: Statements `dashboard_figures` runs (the store list is one more, `dashboard_stores`).
STATEMENTS = 6


@dataclass(frozen=True)
class StoreChoice:
    """A store the admin may pick on the dashboard."""

    id: int
    name: str
    timezone: str


@dataclass(frozen=True)
class Figures:
    """Orders placed in a period and the revenue of those COMPLETED and PAID."""

    orders: int = 0
    paid_orders: int = 0
    revenue: Decimal = ZERO

    @property
    def average(self) -> Decimal | None:
        """Average order value: revenue per COMPLETED and PAID order (None without any)."""
        if not self.paid_orders:
            return None
        return (self.revenue / self.paid_orders).quantize(Decimal("0.01"))

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.orders + other.orders, self.paid_orders + other.paid_orders,
                       self.revenue + other.revenue)


@dataclass(frozen=True)
class Day:
    day: date
    figures: Figures


@dataclass(frozen=True)
class ProductSales:
    store_id: int
    code: str
    name: str
    qty: int
    value: Decimal


@dataclass(frozen=True)
class OrderToDo:
    """An order waiting for an admin: PENDING, or a transfer proof to confirm."""

    id: str
    number: str
    store_id: int
    recipient_name: str
    total: Decimal
    status: OrderStatus
    payment_status: PaymentStatus
    created_at: datetime


@dataclass(frozen=True)
class LowStock:
    id: int
    store_id: int
    code: str
    name: str
    stock: int
    threshold: int


@dataclass(frozen=True)
class Dashboard:
    timezone: str
    today: date
    today_figures: Figures
    month: Figures
    last_30_days: Figures
    days: list[Day]
    #: Orders placed in the last 30 days, by their status now and by channel.
    by_status: dict[OrderStatus, int]
    by_channel: dict[Channel, int]
    top_by_qty: list[ProductSales]
    top_by_value: list[ProductSales]
    pending: list[OrderToDo]
    pending_count: int
    awaiting: list[OrderToDo]
    awaiting_count: int
    low_stock: list[LowStock]
    low_stock_count: int


def dashboard_stores(scope: Scope) -> list[StoreChoice]:
    """The stores the admin may see, by name (one statement)."""
    rows = db.session.execute(
        select(Store.id, Store.name, Store.timezone).where(scope.where(Store.id))
        .order_by(Store.name, Store.id)
    ).all()
    return [StoreChoice(row.id, row.name, row.timezone) for row in rows]


def narrow_scope(scope: Scope, stores: list[StoreChoice], store_id: str | None) -> Scope:
    """The scope of one picked store, or the whole scope for none. Raises NotFound."""
    if not store_id:
        return scope
    picked = int(store_id) if store_id.isascii() and store_id.isdigit() else None
    if picked is None or not scope.allows(picked) or picked not in {s.id for s in stores}:
        raise NotFound("Toko tidak ditemukan.")
    return dataclasses.replace(scope, store_ids=frozenset({picked}))


def reference_zone(scope: Scope, stores: list[StoreChoice]) -> str:
    """The zone of the stores in scope if they share one, else Asia/Jakarta."""
    zones = {s.timezone for s in stores if scope.allows(s.id)}
    zone = zones.pop() if len(zones) == 1 else HOME_ZONE
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return HOME_ZONE
    return zone


def day_starts(zone: str, now: datetime) -> list[datetime]:
    """UTC starts of the local days from the first chart day (or the 1st of the month, if
    earlier) up to and including the start of tomorrow."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    first = min(today - timedelta(days=CHART_DAYS - 1), today.replace(day=1))
    return [datetime.combine(first + timedelta(days=i), time(0), tzinfo=tz).astimezone(UTC)
            for i in range((today - first).days + 2)]


def dashboard_figures(scope: Scope, stores: list[StoreChoice], *, now: datetime) -> Dashboard:
    """Every figure of the dashboard for the scope (STATEMENTS statements)."""
    if scope.store_ids is None:
        # "Every store" as the list of their ids: PostgreSQL then reads the days' range of
        # the (store_id, created_at) index for each store instead of scanning every order.
        scope = dataclasses.replace(scope, store_ids=frozenset(s.id for s in stores))
    zone = reference_zone(scope, stores)
    starts = day_starts(zone, now)
    first = starts[0].astimezone(ZoneInfo(zone)).date()
    per_day, by_status, by_channel = _tally(_order_cells(scope, starts), len(starts) - 1)
    days = [Day(first + timedelta(days=i), figures) for i, figures in enumerate(per_day)]
    today = days[-1].day
    top = _product_sales(scope, starts[-1 - CHART_DAYS], starts[-1])
    pending, pending_count = _pending(scope)
    awaiting, awaiting_count = _awaiting(scope)
    low_stock, low_stock_count = _low_stock(scope)
    return Dashboard(
        timezone=zone, today=today, today_figures=days[-1].figures,
        month=sum((d.figures for d in days if d.day >= today.replace(day=1)), Figures()),
        last_30_days=sum((d.figures for d in days[-CHART_DAYS:]), Figures()),
        days=days[-CHART_DAYS:], by_status=by_status, by_channel=by_channel,
        top_by_qty=_top(top, lambda p: (p.qty, p.value)),
        top_by_value=_top(top, lambda p: (p.value, p.qty)),
        pending=pending, pending_count=pending_count, awaiting=awaiting,
        awaiting_count=awaiting_count, low_stock=low_stock, low_stock_count=low_stock_count,
    )


def _counts_as_revenue():
    return and_(Order.status == OrderStatus.COMPLETED.value,
                Order.payment_status == PaymentStatus.PAID.value)


def _order_cells(scope: Scope, starts: list[datetime]) -> list:
    """Per local day: orders, COMPLETED-and-PAID orders, their revenue, and orders per status
    and per channel (conditional aggregates), in one statement over the days' range of the
    (store_id, created_at) index. The day of an order is found by comparing its UTC time with
    the UTC starts of the local days: portable SQL, right across any offset or DST change."""
    day_index = case(
        *[(Order.created_at >= start, i) for i, start in reversed(list(enumerate(starts)))
          if 0 < i < len(starts) - 1],
        else_=0,
    ).label("day_index")
    paid = _counts_as_revenue()
    return db.session.execute(
        select(day_index, func.count().label("orders"), _count_of(paid).label("paid_orders"),
               type_coerce(func.coalesce(func.sum(case((paid, Order.total), else_=0)), 0),
                           Money).label("revenue"),
               *(_count_of(Order.status == s.value) for s in OrderStatus),
               *(_count_of(Order.channel == c.value) for c in Channel))
        .where(scope.where(Order.store_id), Order.created_at >= starts[0],
               Order.created_at < starts[-1])
        .group_by(day_index)
    ).all()


def _count_of(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _tally(cells, day_count: int) -> tuple[list[Figures], dict, dict]:
    """Figures per day; orders per status and per channel over the last CHART_DAYS days."""
    per_day = [Figures()] * day_count
    statuses, channels = list(OrderStatus), list(Channel)
    by_status, by_channel = dict.fromkeys(statuses, 0), dict.fromkeys(channels, 0)
    for cell in cells:
        per_day[cell.day_index] = Figures(cell.orders, int(cell.paid_orders), cell.revenue)
        if cell.day_index < day_count - CHART_DAYS:
            continue
        per_status, per_channel = cell[4:4 + len(statuses)], cell[4 + len(statuses):]
        for status, n in zip(statuses, per_status, strict=True):
            by_status[status] += int(n)
        for channel, n in zip(channels, per_channel, strict=True):
            by_channel[channel] += int(n)
    return per_day, by_status, by_channel


def _product_sales(scope: Scope, since: datetime, until: datetime) -> list[ProductSales]:
    """Quantity and line value per product of the period's orders not cancelled, rejected or
    refunded; lines are grouped by store and code (the line's snapshot of the product)."""
    rows = db.session.execute(
        select(Order.store_id, OrderItem.code, func.max(OrderItem.name).label("name"),
               func.sum(OrderItem.qty).label("qty"),
               type_coerce(func.sum(OrderItem.subtotal), Money).label("value"))
        .join(Order, Order.id == OrderItem.order_id)
        .where(scope.where(Order.store_id), Order.created_at >= since, Order.created_at < until,
               Order.status.not_in([s.value for s in NOT_SOLD]))
        .group_by(Order.store_id, OrderItem.code)
    ).all()
    return [ProductSales(row.store_id, row.code, row.name, int(row.qty), row.value)
            for row in rows]


def _top(sales: list[ProductSales], key) -> list[ProductSales]:
    """The best TOP_LIMIT by `key` (largest first), ties by name."""
    return sorted(sales, key=lambda p: (*(-v for v in key(p)), p.name, p.store_id))[:TOP_LIMIT]


def _to_do_columns():
    return (Order.id, Order.number, Order.store_id, Order.recipient_name, Order.total,
            Order.status, Order.payment_status, Order.created_at)


def _pending(scope: Scope) -> tuple[list[OrderToDo], int]:
    """The newest PENDING orders, and how many there are: two statements, so the list stops
    at LIST_LIMIT rows (a window count would read every PENDING order) and the count reads
    only the (store_id, status) index."""
    where = (scope.where(Order.store_id), Order.status == OrderStatus.PENDING.value)
    rows = db.session.execute(
        select(*_to_do_columns()).where(*where)
        .order_by(Order.created_at.desc(), Order.id).limit(LIST_LIMIT)).all()
    count = db.session.execute(select(func.count()).select_from(Order).where(*where)).scalar()
    return [OrderToDo(*row) for row in rows], count


def _awaiting(scope: Scope) -> tuple[list[OrderToDo], int]:
    """Orders whose transfer proof waits for an admin, newest proof first, and how many:
    found through their submitted Payment (the payments (status, created_at) index; orders
    have no index on payment status), still AWAITING_CONFIRMATION. Few rows ever match, so
    one statement with a window count."""
    rows = db.session.execute(
        select(*_to_do_columns(), func.count().over().label("matching"))
        .join(Payment, Payment.order_id == Order.id)
        .where(Payment.status == PaymentRecordStatus.SUBMITTED.value,
               Order.payment_status == PaymentStatus.AWAITING_CONFIRMATION.value,
               scope.where(Order.store_id))
        .order_by(Payment.created_at.desc(), Payment.id.desc()).limit(LIST_LIMIT)).all()
    return [OrderToDo(*row[:8]) for row in rows], rows[0].matching if rows else 0


def _low_stock(scope: Scope) -> tuple[list[LowStock], int]:
    """Active products that track stock and are at or below their threshold, emptiest first."""
    rows = db.session.execute(
        select(Product.id, Product.store_id, Product.code, Product.name, Product.stock,
               Product.low_stock_threshold, func.count().over().label("matching"))
        .where(scope.where(Product.store_id), Product.is_active.is_(True),
               Product.stock.is_not(None), Product.stock <= Product.low_stock_threshold)
        .order_by(Product.stock, Product.name, Product.id).limit(LIST_LIMIT)
    ).all()
    count = rows[0].matching if rows else 0
    return [LowStock(*row[:6]) for row in rows], count
