"""Finding orders in the back office: search by number, customer name, phone in any written
form or id; filters by status, payment, channel, store, dealer shop, legacy ERP state and
dates; pages and export. Always
inside the admin's stores, one statement for a page and one for its count."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, and_, false, func, or_, select, union
from sqlalchemy.orm import joinedload

from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..models import (
    Channel,
    Customer,
    LegacyState,
    Order,
    OrderStatus,
    PaymentStatus,
    Shop,
    Store,
)
from .access import Scope
from .phones import normalize_phone
from .tracking import ORDER_ID

PAGE_SIZES = (25, 50, 100)
MAX_TEXT = 100
DEFAULT_TIMEZONE = "Asia/Jakarta"
#: Text that may be a phone number: digits with the separators people write (+62 812-3456).
PHONE_LIKE = re.compile(r"\+?[\d\s().-]{8,24}")
#: A whole order number: ORD-20240127-001 (B2C) or ORD-2024-000123 (B2B).
ORDER_NUMBER = re.compile(r"[A-Za-z]{2,6}-\d{4,8}-\d{1,9}")

#: What a list row and an export row read: the order, its store's name and time zone, and
#: for a dealer's order its shop and where it stands with the legacy ERP.
ROW_COLUMNS = (
    Order.id, Order.number, Order.created_at, Order.channel, Order.status,
    Order.payment_status, Order.payment_method, Order.subtotal, Order.discount,
    Order.shipping_fee, Order.total, Order.recipient_name, Order.recipient_phone,
    Order.store_id, Store.name.label("store_name"), Store.timezone.label("store_timezone"),
    Order.shop_id, Shop.code.label("shop_code"), Shop.name.label("shop_name"),
    Order.legacy_state, Order.ref_so_number, Order.legacy_error,
)


@dataclass(frozen=True)
class OrderFilters:
    """A list's search text and filters, as a page's query string carries them."""

    search: str = ""
    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    channel: Channel | None = None
    store_id: int | None = None
    shop_id: int | None = None
    #: A dealer order's state with the legacy ERP (not_sent: not approved yet, or never sent).
    legacy_state: LegacyState | None = None
    date_from: date | None = None
    date_to: date | None = None

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments (empty ones left out)."""
        return {k: str(v.value if hasattr(v, "value") else v)
                for k, v in asdict(self).items() if v not in (None, "")}


@dataclass(frozen=True)
class OrderPage:
    rows: list[Row]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def clean_filters(args: Mapping[str, str]) -> OrderFilters:
    """Filters from a query string; values that mean nothing are ignored, not refused."""
    return OrderFilters(
        search=" ".join(str(args.get("search") or "").split())[:MAX_TEXT],
        status=_member(OrderStatus, args.get("status")),
        payment_status=_member(PaymentStatus, args.get("payment_status")),
        channel=_member(Channel, args.get("channel")),
        store_id=_number(args.get("store_id")),
        shop_id=_number(args.get("shop_id")),
        legacy_state=_member(LegacyState, args.get("legacy_state")),
        date_from=_day(args.get("date_from")),
        date_to=_day(args.get("date_to")),
    )


def _member(enum_class, raw):
    try:
        return enum_class(raw) if raw else None
    except ValueError:
        return None


def _number(raw) -> int | None:
    text = str(raw or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _day(raw) -> date | None:
    try:
        return date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def phone_in(text: str) -> str | None:
    """The normalized phone a search text stands for, if it is one (0812-3456-7890)."""
    if not PHONE_LIKE.fullmatch(text):
        return None
    try:
        return normalize_phone(text)
    except InvalidInput:
        return None


def search_condition(text: str, scope: Scope | None = None) -> ColumnElement[bool] | None:
    """Orders matching a search text: its id; its number (exactly, when the text is a whole
    number); the recipient's or customer's name; or, when the text is a phone number however
    written, the recipient's or customer's phone."""
    if not text:
        return None
    if ORDER_ID.match(text):
        return Order.id == text
    if ORDER_NUMBER.fullmatch(text):
        return Order.number == text.upper()
    customers = select(Customer.id)
    if scope is not None:
        customers = customers.where(scope.where(Customer.store_id))
    phone = phone_in(text)
    if phone is not None:
        return _any_of(Order.recipient_phone == phone,
                       Order.customer_id.in_(customers.where(Customer.phone == phone)))
    pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
    return _any_of(
        Order.number.ilike(pattern, escape="\\"),
        Order.recipient_name.ilike(pattern, escape="\\"),
        Order.customer_id.in_(customers.where(Customer.name.ilike(pattern, escape="\\"))),
    )


def _any_of(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """Orders meeting any of the conditions, as `id IN (... UNION ...)`: each branch can use
    its own index, where an OR over columns (and a subquery) makes PostgreSQL scan the table."""
    return Order.id.in_(union(*(select(Order.id).where(c) for c in conditions)))


def order_conditions(scope: Scope, filters: OrderFilters, *,
                     timezone: str = DEFAULT_TIMEZONE) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a list: the admin's stores, the search and every filter."""
    conditions = [scope.where(Order.store_id)]
    found = search_condition(filters.search, scope)
    if found is not None:
        conditions.append(found)
    for column, value in ((Order.status, filters.status),
                          (Order.payment_status, filters.payment_status),
                          (Order.channel, filters.channel), (Order.store_id, filters.store_id),
                          (Order.shop_id, filters.shop_id)):
        if value is not None:
            conditions.append(column == value)
    if filters.legacy_state is not None:
        conditions.append(legacy_state_condition(filters.legacy_state))
    zone = ZoneInfo(timezone)
    if filters.date_from:
        conditions.append(Order.created_at >= _start_of(filters.date_from, zone))
    if filters.date_to:
        conditions.append(Order.created_at < _start_of(filters.date_to + timedelta(days=1), zone))
    return conditions


def legacy_state_condition(state: LegacyState) -> ColumnElement[bool]:
    """Dealer orders in this state with the legacy ERP; not_sent includes those not yet
    approved (no state written)."""
    if state == LegacyState.NOT_SENT:
        return and_(Order.channel == Channel.B2B,
                    or_(Order.legacy_state.is_(None), Order.legacy_state == state))
    return Order.legacy_state == state


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def _rows(conditions):
    return (select(*ROW_COLUMNS)
            .join_from(Order, Store, Store.id == Order.store_id)
            .outerjoin(Shop, Shop.id == Order.shop_id)
            .where(and_(*conditions))
            .order_by(Order.created_at.desc(), Order.id.desc()))


def list_orders(scope: Scope, filters: OrderFilters, *, page: int = 1, page_size: int = 25,
                timezone: str = DEFAULT_TIMEZONE) -> OrderPage:
    """One page of the admin's orders, newest first, and how many match: two statements."""
    page_size = page_size if page_size in PAGE_SIZES else PAGE_SIZES[0]
    conditions = order_conditions(scope, filters, timezone=timezone)
    total = db.session.scalar(select(func.count()).select_from(Order).where(and_(*conditions)))
    page = min(max(page, 1), max(1, -(-total // page_size)))
    rows = db.session.execute(
        _rows(conditions).limit(page_size).offset((page - 1) * page_size)).all()
    return OrderPage(rows, total, page, page_size)


def export_orders(scope: Scope, filters: OrderFilters, *,
                  timezone: str = DEFAULT_TIMEZONE) -> Iterator[Row]:
    """Every matching order, streamed in batches (one statement, however many rows)."""
    result = db.session.execute(
        _rows(order_conditions(scope, filters, timezone=timezone)),
        execution_options={"yield_per": 1000})
    yield from result


def get_scoped_order(scope: Scope, order_id: str | None) -> Order:
    """One order of the admin's stores, with its store and customer, in one statement.
    Raises NotFound, the same for a missing order and another store's."""
    order = db.session.scalar(
        select(Order).options(joinedload(Order.store), joinedload(Order.customer))
        .where(Order.id == order_id, scope.where(Order.store_id))
    ) if ORDER_ID.match(order_id or "") else None
    if order is None:
        raise NotFound("Pesanan tidak ditemukan.")
    return order


def find_orders(scope: Scope, ids) -> list[Order]:
    """The orders with these ids that belong to the admin's stores (others are ignored)."""
    wanted = [i for i in dict.fromkeys(ids) if isinstance(i, str) and ORDER_ID.match(i)]
    if not wanted:
        return []
    return list(db.session.scalars(
        select(Order).where(Order.id.in_(wanted), scope.where(Order.store_id))))


def scope_stores(scope: Scope) -> list[Store]:
    """The stores the admin manages (a super admin: every store), by name."""
    return list(db.session.scalars(
        select(Store).where(scope.where(Store.id)).order_by(Store.name, Store.id)))


def list_timezone(stores: list[Store], store_id: int | None) -> str:
    """The time zone a date filter means: the chosen store's, else the stores' common one."""
    zones = {s.timezone for s in stores if store_id is None or s.id == store_id}
    return zones.pop() if len(zones) == 1 else DEFAULT_TIMEZONE


def customer_choices(store_id: int, text: str, *, limit: int = 20) -> list[Customer]:
    """Customers of one store matching a name or a phone (any written form), for a picker."""
    text = " ".join((text or "").split())[:MAX_TEXT]
    if not text:
        return []
    phone = phone_in(text)
    pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
    matches = Customer.phone == phone if phone else or_(
        Customer.name.ilike(pattern, escape="\\"), Customer.phone.contains(text.lstrip("0"))
        if text.isdigit() else false())
    return list(db.session.scalars(
        select(Customer).where(Customer.store_id == store_id, Customer.is_active.is_(True),
                               matches).order_by(Customer.name, Customer.id).limit(limit)))
