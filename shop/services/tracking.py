"""What the public tracking page shows: the order, its items and its timeline."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import String, bindparam, cast, func, literal_column, or_, select

from ..errors import NotFound
from ..models import (
    CENT,
    EventKind,
    Order,
    OrderEvent,
    OrderItem,
    OrderRequest,
    OrderStatus,
    Payment,
    PaymentRecordStatus,
    RequestStatus,
    RequestTopic,
    Store,
)
from ..template_i18n import gettext as _
from .addresses import address_line
from .labels import N_, ORDER_STATUS_LABELS
from .sql import DriverQuery, current_dialect

ORDER_ID = re.compile(r"^c[0-9a-z]{25}$")

#: The path every order walks; optional steps are shown only once they happened.
TIMELINE = (
    (OrderStatus.PENDING, N_("Pesanan Dibuat"), False),
    (OrderStatus.CONFIRMED, N_("Dikonfirmasi"), True),
    (OrderStatus.PROCESSING, N_("Sedang Diproses"), False),
    (OrderStatus.SHIPPED, N_("Sedang Dikirim"), False),
    (OrderStatus.DELIVERED, N_("Sudah Diterima"), True),
    (OrderStatus.COMPLETED, N_("Selesai"), False),
)
ENDINGS = (OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.REFUNDED)


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # "done", "current", "todo", "ended"
    at: datetime | None = None
    note: str | None = None


@dataclass(frozen=True)
class ItemLine:
    qty: int
    name: str
    subtotal: Decimal


@dataclass(frozen=True)
class Happened:
    """A status event of the order, as the timeline needs it."""

    to_status: str
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class ShopperRequest:
    """A change request of the shopper's, as the tracking page lists it."""

    topic: RequestTopic
    status: RequestStatus
    message: str
    answer: str | None
    created_at: datetime


@dataclass(frozen=True)
class Tracking:
    #: The order's row (number, statuses, money, recipient) as a named tuple, read-only.
    order: tuple
    #: The store's name, slug, logo, address, WhatsApp, time zone, bank accounts, e-wallets
    #: and QRIS.
    store: SimpleNamespace
    items: list[ItemLine]
    steps: list[Step]
    #: The shopper's change requests, oldest first.
    requests: list[ShopperRequest]

    @property
    def address(self) -> str:
        """The shipping address on one line."""
        o = self.order
        return address_line(o.shipping_address, o.shipping_district, o.shipping_city,
                            o.shipping_province, o.shipping_postal_code)


orders, stores = Order.__table__, Store.__table__
items_table, events_table = OrderItem.__table__, OrderEvent.__table__
requests_table = OrderRequest.__table__
payments_table = Payment.__table__
_QUERIES: dict[str, DriverQuery] = {}


def _tracking_query(dialect: str) -> DriverQuery:
    """One statement for the whole page: the order with its store, and its items, status
    events and the shopper's change requests aggregated as JSON arrays (json_agg on
    PostgreSQL, json_group_array on SQLite). Run by the driver, its values read as
    SQLAlchemy reads them: on the busiest public page SQLAlchemy's execution and result
    cost a fifth of the request (bench/README.md, fourth sitting)."""
    if dialect not in _QUERIES:
        agg, row = ((func.json_agg, func.json_build_array) if dialect == "postgresql"
                    else (func.json_group_array, func.json_array))
        items = (
            select(agg(row(items_table.c.id, items_table.c.qty, items_table.c.name,
                           cast(items_table.c.subtotal, String))))
            .where(items_table.c.order_id == orders.c.id).scalar_subquery()
        )
        events = (
            select(agg(row(events_table.c.id, events_table.c.to_status, events_table.c.note,
                           cast(events_table.c.created_at, String))))
            .where(events_table.c.order_id == orders.c.id,
                   # Two comparisons, not IN: an IN list is expanded into the statement's
                   # text at every execution.
                   or_(events_table.c.kind == EventKind.CREATED.value,
                       events_table.c.kind == EventKind.STATUS.value))
            .scalar_subquery()
        )
        asked = requests_table.c
        requests = (
            select(agg(row(cast(asked.created_at, String), asked.id, asked.topic, asked.status,
                           asked.message, asked.answer)))
            .where(asked.order_id == orders.c.id).scalar_subquery()
        )
        # Why the last transfer proof was refused, shown while the order waits for payment.
        rejection = (
            select(payments_table.c.note)
            .where(payments_table.c.order_id == orders.c.id,
                   payments_table.c.status == PaymentRecordStatus.REJECTED.value)
            .order_by(payments_table.c.id.desc()).limit(1).scalar_subquery()
        )
        # On PostgreSQL the versions of the order's and the store's rows (order_versions.py):
        # what the front keeps the page under, read in the same snapshot as the page's data.
        versions = _versions() if dialect == "postgresql" else ()
        _QUERIES[dialect] = DriverQuery(
            select(orders.c.id, orders.c.number, orders.c.status, orders.c.payment_status,
                   orders.c.payment_method, orders.c.courier, orders.c.subtotal,
                   orders.c.discount, orders.c.shipping_fee, orders.c.total,
                   orders.c.unique_code, orders.c.amount_due,
                   orders.c.recipient_name, orders.c.recipient_phone,
                   orders.c.shipping_address, orders.c.shipping_district,
                   orders.c.shipping_city, orders.c.shipping_province,
                   orders.c.shipping_postal_code, orders.c.shipping_fee_pending,
                   orders.c.locale, orders.c.created_at,
                   stores.c.name.label("store_name"), stores.c.slug.label("store_slug"),
                   stores.c.logo.label("store_logo"), stores.c.address.label("store_address"),
                   stores.c.whatsapp, stores.c.timezone, stores.c.bank_accounts,
                   stores.c.e_wallets, stores.c.qris_payload,
                   items.label("items_json"), events.label("events_json"),
                   requests.label("requests_json"),
                   rejection.label("proof_rejection"), *versions)
            .join_from(orders, stores, stores.c.id == orders.c.store_id)
            .where(orders.c.id == bindparam("order_id")),
            typed=True)
    return _QUERIES[dialect]


def _versions() -> tuple:
    """The xmin of the order's row and of its store's, as text (PostgreSQL)."""
    return (literal_column("orders.xmin::text").label("order_version"),
            literal_column("stores.xmin::text").label("store_version"))


_VERSIONS = DriverQuery(
    select(*_versions()).join_from(orders, stores, stores.c.id == orders.c.store_id)
    .where(orders.c.id == bindparam("order_id")))


def tracking_versions(engine, order_id: str) -> tuple | None:
    """PostgreSQL: the versions of an order's row and its store's, on this thread's read
    connection outside any request (the front's read): the order's changes with everything
    its tracking page shows of it (models/order_versions.py), the store's with any of its
    details. None for an id of another format or no order."""
    if not ORDER_ID.match(order_id):
        return None
    return _VERSIONS.first_as_sent(engine, {"order_id": order_id})


def page_versions(tracking: Tracking) -> tuple | None:
    """The versions the page's row was read at (PostgreSQL), as tracking_versions gives them."""
    order = tracking.order
    return (order.order_version, order.store_version) if hasattr(order, "order_version") \
        else None


def load_tracking(order_id: str) -> Tracking:
    """The order behind a tracking link, in one query. Raises NotFound (the same for all)."""
    if not ORDER_ID.match(order_id or ""):
        raise NotFound(_("Pesanan tidak ditemukan."))
    row = _tracking_query(current_dialect().name).first({"order_id": order_id})
    if row is None:
        raise NotFound(_("Pesanan tidak ditemukan."))
    items = [ItemLine(qty, name, Decimal(subtotal).quantize(CENT))
             for _id, qty, name, subtotal in sorted(_json_rows(row.items_json))]
    events = [Happened(to_status, note, _timestamp(at))
              for _id, to_status, note, at in sorted(_json_rows(row.events_json))]
    store = SimpleNamespace(name=row.store_name, slug=row.store_slug, logo=row.store_logo,
                            address=row.store_address, whatsapp=row.whatsapp,
                            timezone=row.timezone, bank_accounts=row.bank_accounts,
                            e_wallets=row.e_wallets, qris_payload=row.qris_payload)
    requests = [ShopperRequest(RequestTopic(topic), RequestStatus(status), message, answer,
                               _timestamp(at))
                for at, _id, topic, status, message, answer in sorted(
                    _json_rows(row.requests_json), key=lambda r: (_timestamp(r[0]), r[1]))]
    return Tracking(row, store, items, build_timeline(row.status, events), requests)


def _json_rows(value) -> list:
    """Aggregated rows: psycopg decodes JSON itself, SQLite hands over text; none is null."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def _timestamp(text: str) -> datetime:
    """A stored UTC timestamp read back from JSON (SQLite keeps it without a zone)."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def build_timeline(status: OrderStatus, events: list[Happened]) -> list[Step]:
    """Done steps with their time, the current one marked, the rest grey; endings instead."""
    reached: dict[str, Happened] = {}
    for event in events:
        reached[event.to_status or ""] = event
    ranks = [s for s, _, _ in TIMELINE]
    current_rank = ranks.index(status) if status in ranks else None
    steps: list[Step] = []
    for rank, (step_status, label, optional) in enumerate(TIMELINE):
        event = reached.get(step_status.value)
        if event is not None:
            state = "current" if step_status == status else "done"
            steps.append(Step(label, state, event.created_at, event.note if rank else None))
        elif optional:
            continue
        elif status in ENDINGS or (current_rank is not None and rank < current_rank):
            continue  # skipped on the way (PENDING -> PROCESSING), or never to come
        else:
            steps.append(Step(label, "todo"))
    if status in ENDINGS:
        event = reached.get(status.value)
        steps.append(Step(ORDER_STATUS_LABELS[status], "ended",
                          event.created_at if event else None, event.note if event else None))
    return steps
