"""The operations behind the support bot's tools (seed 002), shared by the bot tools API and
the chat bots: each takes the store of the caller's key and the customer the bot talks to,
and answers plain data. A customer only ever reaches its own orders: another customer's
order, another store's and an unknown number all raise the same NotFound (a dealer shop's
order has no customer, so it is never reached). What an order may still become is the
order machine's (shop.models.orders); a refusal names the store's WhatsApp number, so the
bot can hand the customer to a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select

from ..errors import InvalidInput, NotFound, StaleChange, TransitionRefused
from ..extensions import db
from ..models import Customer, Order, OrderStatus, PaymentStatus, Shipment, Store
from .labels import ORDER_STATUS_LABELS
from .order_edits import OPEN_STATUSES, edit_order
from .orders import transition
from .phones import local_phone, normalize_phone
from .shipping import CARRIER_LABELS, carrier_tracking_url
from .validation import clean_text, is_clean_text

ORDER_NOT_FOUND = "Pesanan tidak ditemukan."
#: Statuses in which an order is done with (nothing more is to happen but a refund).
DONE_STATUSES = (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.REJECTED,
                 OrderStatus.REFUNDED)
RECENT_ORDERS = 5
REASON_MAX = 500
ADDRESS_MIN = 10
ADDRESS_MAX = 500
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


def contact_of(store: Store) -> dict:
    """Where the customer reaches a person: the store's WhatsApp number and its wa.me link."""
    return {"whatsapp": local_phone(store.whatsapp), "url": f"https://wa.me/{store.whatsapp}"}


def ask_a_person(store: Store, number: str, status: OrderStatus,
                 what: str) -> TransitionRefused:
    """The refusal of a change the bot may not make to the order in this status: the
    status, and the store's WhatsApp number to ask a person."""
    contact = contact_of(store)
    if status == OrderStatus.CANCELLED:
        message = f"Pesanan {number} sudah dibatalkan, jadi {what} tidak diperlukan lagi."
    else:
        message = (f"Pesanan {number} berstatus {ORDER_STATUS_LABELS[status]} "
                   f"({status.value}), jadi {what} tidak bisa lewat chat.")
    return TransitionRefused(
        f"{message} Silakan hubungi tim {store.name} di WhatsApp {contact['whatsapp']} "
        f"({contact['url']}).", status=status.value, contact=contact)


@dataclass(frozen=True)
class CancelledOrder:
    """The cancelled order; `refund_note` when money may have been sent already (paid, or a
    transfer proof under review): the store gives it back, a person arranges how."""

    number: str
    status: OrderStatus
    refund_note: str | None = None


def cancel_order(store: Store, *, order_ref, customer_ref=None, phone=None, reason=None,
                 actor: str) -> CancelledOrder:
    """Seed 002's cancel_order: the customer cancels their order while it is PENDING,
    CONFIRMED or PROCESSING (the order machine's cancellable statuses); the customer is told
    and the stock comes back (shop.services.orders.transition). Raises InvalidInput,
    NotFound, or TransitionRefused naming the store's WhatsApp (shipped, done, or moved on
    meanwhile)."""
    customer = customer_of(store, customer_ref=customer_ref, phone=phone)
    order = customer_order(store, customer, order_ref)
    why = clean_text(reason, field="reason", label="Alasan", limit=REASON_MAX, multiline=False)
    if not order.can_cancel():
        raise ask_a_person(store, order.number, order.status, "pembatalan")
    note = "Dibatalkan pelanggan lewat chatbot" + (f": {why}" if why else "")
    try:
        transition(order, OrderStatus.CANCELLED, actor=actor, note=note)
    except StaleChange:  # the store moved it on at this very moment: say where it is now
        current = db.session.scalar(select(Order.status).where(Order.id == order.id))
        raise ask_a_person(store, order.number, OrderStatus(current), "pembatalan") from None
    refund = None
    if order.payment_status in (PaymentStatus.PAID, PaymentStatus.AWAITING_CONFIRMATION):
        contact = contact_of(store)
        refund = (f"Pembayaran Anda akan dikembalikan oleh tim {store.name}; hubungi WhatsApp "
                  f"{contact['whatsapp']} ({contact['url']}) untuk proses pengembaliannya.")
    return CancelledOrder(order.number, order.status, refund)


@dataclass(frozen=True)
class OrderLine:
    """One order of a summary: number, status, total, when it was placed."""

    number: str
    status: OrderStatus
    total: Decimal
    created_at: datetime


@dataclass(frozen=True)
class OrderSummary:
    total_orders: int
    active_orders: int
    total_spent: Decimal
    recent: list[OrderLine]


def order_summary(store: Store, *, customer_ref=None, phone=None) -> OrderSummary:
    """Seed 002's get_order_summary: how many orders the customer has, how many are still
    under way (not completed, cancelled, rejected or refunded), what they spent (completed
    and paid orders, as the customer's stats keep it: shop.services.stats) and the newest
    five. Raises InvalidInput or NotFound."""
    customer = customer_of(store, customer_ref=customer_ref, phone=phone)
    mine = (Order.store_id == store.id, Order.customer_id == customer.id)
    total, active = db.session.execute(select(
        func.count(), func.count().filter(Order.status.not_in(DONE_STATUSES)))
        .select_from(Order).where(*mine)).one()
    recent = db.session.execute(
        select(Order.number, Order.status, Order.total, Order.created_at).where(*mine)
        .order_by(Order.created_at.desc(), Order.number.desc()).limit(RECENT_ORDERS)).all()
    return OrderSummary(total_orders=total, active_orders=active,
                        total_spent=customer.total_spent,
                        recent=[OrderLine(*row) for row in recent])


def clean_address(raw) -> str:
    """A shipping address: clean text (line breaks allowed), 10 to 500 characters. Raises
    InvalidInput."""
    address = clean_text(raw, field="address", label="Alamat", required=True,
                         limit=ADDRESS_MAX)
    if len(address) < ADDRESS_MIN:
        raise InvalidInput("Alamat terlalu pendek: tulis jalan, nomor rumah dan kota.",
                           fields={"address": f"Minimal {ADDRESS_MIN} huruf."})
    return address


@dataclass(frozen=True)
class AddressChange:
    number: str
    address: str
    changed: bool


def update_shipping_address(store: Store, *, order_ref, address, customer_ref=None,
                            phone=None, actor: str) -> AddressChange:
    """Seed 002's updateShippingAddress: the customer changes where their order goes while
    it is not shipped yet (PENDING, CONFIRMED, PROCESSING), through the order edit (which
    records the change). Raises InvalidInput, NotFound, StaleChange or TransitionRefused
    naming the store's WhatsApp (shipped or done)."""
    customer = customer_of(store, customer_ref=customer_ref, phone=phone)
    order = customer_order(store, customer, order_ref)
    new = clean_address(address)
    if order.status not in OPEN_STATUSES:
        raise ask_a_person(store, order.number, order.status, "perubahan alamat")
    changed = new != order.shipping_address
    if changed:
        edit_order(order, {"shipping_address": new}, actor=actor)
    return AddressChange(order.number, new, changed)
