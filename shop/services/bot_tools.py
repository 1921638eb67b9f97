"""The operations behind the support bot's tools (seed 002), shared by the bot tools API and
the chat bots: each takes the store of the caller's key and the customer the bot talks to,
and answers plain data. A customer only ever reaches its own orders: another customer's
order, another store's and an unknown number all raise the same NotFound."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..models import Customer, Order, OrderStatus, PaymentStatus, Shipment, Store
from .phones import normalize_phone
from .shipping import CARRIER_LABELS, carrier_tracking_url
from .validation import is_clean_text

ORDER_NOT_FOUND = "Pesanan tidak ditemukan."
#: Longest order number or id looked up (ORD-20251120-001, a 25-character id).
MAX_REF = 64


@dataclass(frozen=True)
class ShipmentInfo:
    carrier: str
    carrier_name: str
    tracking_number: str
    tracking_url: str | None
    status: str
    current_location: str | None
    estimated_delivery: datetime | None
    shipped_at: datetime


@dataclass(frozen=True)
class TrackedOrder:
    """An order as track_order answers it: the order, its newest parcel (None before it is
    shipped) and every parcel, newest first."""

    id: str
    number: str
    status: OrderStatus
    payment_status: PaymentStatus
    total: object
    courier: str | None
    created_at: datetime
    shipment: ShipmentInfo | None
    shipments: list[ShipmentInfo]


def _text(raw, field: str, *, limit: int) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidInput(f"'{field}' harus berupa teks.", fields={field: "Harus berupa teks."})
    text = raw.strip()
    return text[:limit + 1] if text else None


def customer_of(store: Store, *, customer_ref=None, phone=None) -> Customer:
    """The store's customer by public id (the checkout's `customer.id`) or by phone.
    Raises InvalidInput (neither given, a malformed phone) or NotFound (no such customer:
    answered as the order's NotFound, so a caller learns nothing of who is a customer)."""
    ref = _text(customer_ref, "customerId", limit=32)
    number = _text(phone, "phone", limit=32)
    if ref is None and number is None:
        raise InvalidInput("customerId atau phone wajib diisi.",
                           fields={"customerId": "Wajib diisi (atau phone)."})
    query = select(Customer).where(Customer.store_id == store.id)
    if ref is not None:
        query = query.where(Customer.public_id == ref)
    if number is not None:
        query = query.where(Customer.phone == normalize_phone(number, field="phone"))
    sendable = ref is None or (len(ref) <= 32 and is_clean_text(ref))
    customer = db.session.scalar(query) if sendable else None
    if customer is None:
        raise NotFound(ORDER_NOT_FOUND)
    return customer


def customer_order(store: Store, customer: Customer, order_ref) -> Order:
    """The customer's order by number (ORD-...) or id. Raises InvalidInput, NotFound."""
    ref = _text(order_ref, "orderNumber", limit=MAX_REF)
    if ref is None:
        raise InvalidInput("orderNumber wajib diisi.", fields={"orderNumber": "Wajib diisi."})
    order = None
    if len(ref) <= MAX_REF and is_clean_text(ref):
        order = db.session.scalar(select(Order).where(
            Order.store_id == store.id, Order.customer_id == customer.id,
            or_(Order.number == ref.upper(), Order.id == ref)))
    if order is None:
        raise NotFound(ORDER_NOT_FOUND)
    return order


def shipment_info(shipment: Shipment) -> ShipmentInfo:
    return ShipmentInfo(
        carrier=shipment.carrier.value, carrier_name=CARRIER_LABELS[shipment.carrier],
        tracking_number=shipment.tracking_number,
        tracking_url=carrier_tracking_url(shipment.carrier, shipment.tracking_number),
        status=shipment.status.value, current_location=shipment.current_location,
        estimated_delivery=shipment.estimated_delivery, shipped_at=shipment.created_at)


def track_order(store: Store, *, order_ref, customer_ref=None, phone=None) -> TrackedOrder:
    """Seed 002's track_order: the customer's order with its parcels and the carriers'
    tracking links. Raises InvalidInput or NotFound (the same for every order the customer
    may not see)."""
    customer = customer_of(store, customer_ref=customer_ref, phone=phone)
    order = customer_order(store, customer, order_ref)
    parcels = [shipment_info(s) for s in db.session.scalars(
        select(Shipment).where(Shipment.order_id == order.id)
        .order_by(Shipment.created_at.desc(), Shipment.id.desc()))]
    return TrackedOrder(
        id=order.id, number=order.number, status=order.status,
        payment_status=order.payment_status, total=order.total, courier=order.courier,
        created_at=order.created_at, shipment=parcels[0] if parcels else None,
        shipments=parcels)
