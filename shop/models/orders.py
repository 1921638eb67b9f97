"""Orders, their lines and events, the status machines, and the number counters."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, StrEnumType, UTCDateTime, new_order_id, utcnow

if TYPE_CHECKING:
    from .customers import Customer
    from .dealers import Shop
    from .stores import Store


class OrderStatus(enum.StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    PROCESSING = "PROCESSING"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    REFUNDED = "REFUNDED"


class PaymentStatus(enum.StrEnum):
    PENDING = "PENDING"
    AWAITING_CONFIRMATION = "AWAITING_CONFIRMATION"
    PAID = "PAID"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"


class PaymentMethod(enum.StrEnum):
    """Payment methods of seed 002; card payments need a gateway (not offered yet)."""

    BANK_TRANSFER = "bank_transfer"
    E_WALLET = "e_wallet"
    COD = "cod"
    QRIS = "qris"
    CREDIT_CARD = "credit_card"


class EventKind(enum.StrEnum):
    """What an OrderEvent records."""

    CREATED = "created"
    EDITED = "edited"
    STATUS = "status"
    PAYMENT = "payment"
    SHIPMENT = "shipment"
    NOTIFICATION = "notification"
    #: A customer's change request from the tracking page, or its answer.
    REQUEST = "request"


class LegacyState(enum.StrEnum):
    """Where a B2B order stands with the legacy ERP."""

    NOT_SENT = "not_sent"
    QUEUED = "queued"
    SUBMITTED = "submitted"
    FAILED = "failed"


class Channel(enum.StrEnum):
    STOREFRONT = "storefront"
    B2B = "b2b"
    WHATSAPP = "whatsapp"
    ADMIN = "admin"
    BOT = "bot"


#: Allowed status changes; one machine for every channel (DESIGN.md, "Status").
ORDER_TRANSITIONS: dict[OrderStatus, tuple[OrderStatus, ...]] = {
    OrderStatus.PENDING: (
        OrderStatus.CONFIRMED, OrderStatus.PROCESSING, OrderStatus.CANCELLED, OrderStatus.REJECTED,
    ),
    OrderStatus.CONFIRMED: (OrderStatus.PROCESSING, OrderStatus.CANCELLED),
    OrderStatus.PROCESSING: (OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.CANCELLED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED, OrderStatus.COMPLETED),
    OrderStatus.DELIVERED: (OrderStatus.COMPLETED,),
    OrderStatus.COMPLETED: (OrderStatus.REFUNDED,),
    OrderStatus.CANCELLED: (),
    OrderStatus.REJECTED: (),
    OrderStatus.REFUNDED: (),
}

PAYMENT_TRANSITIONS: dict[PaymentStatus, tuple[PaymentStatus, ...]] = {
    PaymentStatus.PENDING: (
        PaymentStatus.AWAITING_CONFIRMATION, PaymentStatus.PAID, PaymentStatus.FAILED,
    ),
    PaymentStatus.AWAITING_CONFIRMATION: (PaymentStatus.PAID, PaymentStatus.PENDING),
    PaymentStatus.PAID: (PaymentStatus.REFUNDED,),
    PaymentStatus.FAILED: (),
    PaymentStatus.REFUNDED: (),
}

#: Statuses that give reserved stock back.
STOCK_RETURNING_STATUSES = (OrderStatus.CANCELLED, OrderStatus.REJECTED)


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("store_id", "number"),
        UniqueConstraint("store_id", "idempotency_key"),
        # The back office's lists and dashboard read a month of a store's orders from this
        # index alone on PostgreSQL (the INCLUDE columns); other databases ignore INCLUDE.
        Index("ix_orders_store_id_created_at", "store_id", "created_at",
              postgresql_include=["status", "payment_status", "channel", "total"]),
        Index("ix_orders_store_id_status_created_at", "store_id", "status", "created_at"),
        # The back office finds orders by the phone written on them, in any store.
        Index("ix_orders_recipient_phone", "recipient_phone"),
        Index("ix_orders_customer_id", "customer_id"),
        Index("ix_orders_shop_id_created_at", "shop_id", "created_at"),
        # A bank statement's credit is matched to the store's unpaid order of that amount.
        Index("ix_orders_store_id_amount_due", "store_id", "amount_due"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("unique_code BETWEEN 1 AND 999", name="unique_code_in_range"),
        CheckConstraint("discount >= 0 AND discount <= subtotal", name="discount_within_subtotal"),
    )

    #: Random CUID-style id: the tracking capability, never sequential.
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_order_id)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    #: Human-readable, unique within the store: ORD-YYYYMMDD-NNN (B2C) or ORD-YYYY-NNNNNN (B2B).
    number: Mapped[str] = mapped_column(String(40))
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel), default=Channel.STOREFRONT)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    #: The dealer shop that bought (channel b2b); customer_id is then empty.
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    shipping_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Money)
    #: The store's unique transfer code (kode unik, 1-999) of a bank-transfer order, where the
    #: store uses them: the store's income, not a discount (services/transfer_codes.py).
    unique_code: Mapped[int | None] = mapped_column(Integer)
    #: What the customer pays: the total plus the unique code, kept by the database itself
    #: so that no edit of the total can leave it behind.
    amount_due: Mapped[Decimal] = mapped_column(
        Money, Computed("total + COALESCE(unique_code, 0)", persisted=True))
    status: Mapped[OrderStatus] = mapped_column(
        StrEnumType(OrderStatus), default=OrderStatus.PENDING
    )
    payment_status: Mapped[PaymentStatus] = mapped_column(
        StrEnumType(PaymentStatus), default=PaymentStatus.PENDING
    )
    payment_method: Mapped[PaymentMethod | None] = mapped_column(StrEnumType(PaymentMethod, 50))
    courier: Mapped[str | None] = mapped_column(String(50))
    #: Who receives the goods, as given at checkout (the customer may change later).
    recipient_name: Mapped[str] = mapped_column(String(255))
    recipient_phone: Mapped[str] = mapped_column(String(20))
    #: The street line (street, house number, RT/RW); the parts below complete it (seed 003's
    #: address fields, and kecamatan). address_line joins them for messages.
    shipping_address: Mapped[str | None] = mapped_column(Text)
    shipping_district: Mapped[str | None] = mapped_column(String(100))
    shipping_city: Mapped[str | None] = mapped_column(String(100))
    shipping_province: Mapped[str | None] = mapped_column(String(100))
    shipping_postal_code: Mapped[str | None] = mapped_column(String(10))
    #: True while the courier's fee is still to be set by an admin ("ongkir dikonfirmasi
    #: admin"); setting shipping_fee in the order edit clears it and tells the customer.
    shipping_fee_pending: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default="0")
    notes: Mapped[str | None] = mapped_column(Text)
    admin_notes: Mapped[str | None] = mapped_column(Text)
    #: What the store delivered, given when the order is completed (seed 001's server id).
    reference: Mapped[str | None] = mapped_column(String(100))
    #: Client-chosen key that makes a resubmitted checkout return the first order.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    #: The language the customer ordered in; their messages are written in it.
    locale: Mapped[str] = mapped_column(String(5), default="id", server_default="id")
    #: True while the order counts in the customer's total_spent (COMPLETED and PAID).
    stats_applied: Mapped[bool] = mapped_column(Boolean, default=False)
    #: B2B: when an admin approved it (PENDING -> CONFIRMED).
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: B2B: the sales order in the legacy ERP. The number is reserved here before the
    #: legacy insert, so a retry finds it there instead of writing a second SO.
    legacy_state: Mapped[LegacyState | None] = mapped_column(StrEnumType(LegacyState, 16))
    ref_so_number: Mapped[str | None] = mapped_column(String(50), unique=True)
    ref_so_id: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last submission failure, shown in the back office beside the retry.
    legacy_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    store: Mapped[Store] = relationship()
    customer: Mapped[Customer | None] = relationship()
    shop: Mapped[Shop | None] = relationship()
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    @property
    def address_line(self) -> str:
        """The whole shipping address in one line, as messages and labels show it."""
        from ..services.addresses import address_line

        return address_line(self.shipping_address, self.shipping_district, self.shipping_city,
                            self.shipping_province, self.shipping_postal_code)

    def allowed_transitions(self) -> tuple[OrderStatus, ...]:
        return ORDER_TRANSITIONS[self.status]

    def can_transition_to(self, status: OrderStatus) -> bool:
        return status in ORDER_TRANSITIONS[self.status]

    def can_cancel(self) -> bool:
        return self.can_transition_to(OrderStatus.CANCELLED)

    def is_final(self) -> bool:
        return not ORDER_TRANSITIONS[self.status]

    def counts_as_purchase(self) -> bool:
        """Whether the order belongs in the customer's spending (COMPLETED and PAID)."""
        return self.status == OrderStatus.COMPLETED and self.payment_status == PaymentStatus.PAID


class OrderItem(db.Model):
    """A line of an order: a snapshot of the product as it was sold."""

    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("reserved_qty >= 0 AND reserved_qty <= qty", name="reserved_within_qty"),
        Index("ix_order_items_order_id", "order_id",
              postgresql_include=["code", "name", "qty", "subtotal"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    qty: Mapped[int] = mapped_column(Integer)
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    #: Units this line holds from the product's stock (0 when made to order); given back on
    #: cancel or reject, so a product that starts tracking stock later is never credited.
    reserved_qty: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="items")


class OrderEvent(db.Model):
    """One thing that happened to an order: the audit trail and the tracking timeline."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(StrEnumType(EventKind, 20))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    #: "system", "customer", "admin:<email>", "bot" ...
    actor: Mapped[str] = mapped_column(String(120), default="system")
    note: Mapped[str | None] = mapped_column(Text)
    #: What changed, for edits: {"discount": ["0.00", "10000.00"]}.
    data: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class RequestTopic(enum.StrEnum):
    """What a customer asks to change from the tracking page."""

    ADDRESS = "address"
    ITEMS = "items"
    NOTE = "note"


class OrderRequest(db.Model):
    """A change a customer asked for on the tracking page ("Minta perubahan"), confirmed with
    the last four digits of the order's phone; the admins answer it in the back office."""

    __tablename__ = "order_requests"
    __table_args__ = (
        Index("ix_order_requests_store_id_status_created_at", "store_id", "status",
              "created_at"),
        Index("ix_order_requests_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    topic: Mapped[RequestTopic] = mapped_column(StrEnumType(RequestTopic, 16))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[RequestStatus] = mapped_column(StrEnumType(RequestStatus, 16),
                                                  default=RequestStatus.OPEN)
    answer: Mapped[str | None] = mapped_column(Text)
    #: "admin:<email>" of whoever answered.
    answered_by: Mapped[str | None] = mapped_column(String(120))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship()


class Serial(db.Model):
    """A counter for human-readable numbers, taken with an atomic update."""

    __tablename__ = "serials"
    __table_args__ = (UniqueConstraint("name", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What is numbered: "order:<store id>", "b2b-order:<store id>", "legacy-so".
    name: Mapped[str] = mapped_column(String(64))
    #: "20261123" for daily counters, "2026" for yearly ones.
    period: Mapped[str] = mapped_column(String(16))
    last_number: Mapped[int] = mapped_column(Integer, default=0)
