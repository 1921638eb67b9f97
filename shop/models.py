"""Every table of the main database, its enums and small predicates. No I/O here."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

CENT = Decimal("0.01")
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_order_id() -> str:
    """A CUID-style id: 'c' and 25 base-36 characters of 129 random bits. Never sequential."""
    value = secrets.randbits(129)
    chars = []
    for _ in range(25):
        value, rest = divmod(value, 36)
        chars.append(_BASE36[rest])
    return "c" + "".join(chars)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use shop.models.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator):
    """Rupiah amounts as Decimal with two places (Numeric(15, 2)), never float."""

    impl = Numeric(15, 2)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        amount = Decimal(value).quantize(CENT)
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value).quantize(CENT)


class StrEnumType(TypeDecorator):
    """A Python StrEnum kept as its plain string value in a VARCHAR column."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum_class: type[enum.StrEnum]):
        super().__init__()
        self.enum_class = enum_class

    def process_bind_param(self, value, dialect):
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum_class(value)


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


class Channel(enum.StrEnum):
    STOREFRONT = "storefront"
    B2B = "b2b"
    WHATSAPP = "whatsapp"
    ADMIN = "admin"
    BOT = "bot"


class CustomerType(enum.StrEnum):
    WALK_IN = "walk-in"
    MEMBER = "member"
    VIP = "vip"


class CustomerStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    BLOCKED = "blocked"


class MembershipLevel(enum.StrEnum):
    BRONZE = "Bronze"
    SILVER = "Silver"
    GOLD = "Gold"
    PLATINUM = "Platinum"


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"


class NotificationStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


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


class Store(db.Model):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: WhatsApp number of the store, normalized digits (6281111111111).
    whatsapp: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(Text)
    #: IANA zone used for display and for the date in order numbers.
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    #: [{"bank": "BCA", "number": "1234567890", "holder": "Burger China"}]
    bank_accounts: Mapped[list] = mapped_column(JSON, default=list)
    #: Couriers offered at checkout; empty means free text.
    couriers: Mapped[list] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(UserMixin, db.Model):
    """An admin of the back office."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    #: "super_admin" or "admin".
    role: Mapped[str] = mapped_column(String(20), default="admin")
    #: The store an admin works for; None for a super admin of every store.
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Customer(db.Model):
    """A buyer of one store, identified by the normalized phone (CRM fields of seed 003)."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("store_id", "phone"),
        Index("ix_customers_store_id_name", "store_id", "name"),
        Index("ix_customers_email", "email"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        CheckConstraint("discount >= 0 AND discount <= 100", name="discount_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    name: Mapped[str] = mapped_column(String(255))
    #: Normalized digits without '+': 6281234567890.
    phone: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(100))
    province: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    type: Mapped[CustomerType] = mapped_column(
        StrEnumType(CustomerType), default=CustomerType.WALK_IN
    )
    status: Mapped[CustomerStatus] = mapped_column(
        StrEnumType(CustomerStatus), default=CustomerStatus.ACTIVE
    )
    membership_level: Mapped[MembershipLevel] = mapped_column(
        StrEnumType(MembershipLevel), default=MembershipLevel.BRONZE
    )
    points: Mapped[int] = mapped_column(Integer, default=0)
    #: Discount percentage (0-100): the membership tier's (Bronze 5 %), or set by an admin.
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal("5"))
    #: Orders placed, counted at checkout (seed 000).
    total_orders: Mapped[int] = mapped_column(Integer, default=0)
    #: Orders both COMPLETED and PAID (seed 003).
    total_purchases: Mapped[int] = mapped_column(Integer, default=0)
    total_spent: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    last_visit: Mapped[datetime | None] = mapped_column(UTCDateTime)
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[Gender | None] = mapped_column(StrEnumType(Gender))
    notes: Mapped[str | None] = mapped_column(Text)
    #: Soft delete flag.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The partner (reseller, branch) the customer came through, as seed 003 keeps it.
    partner_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    store: Mapped[Store] = relationship()


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("store_id", "code"),
        Index("ix_products_store_id_category", "store_id", "category"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    #: SKU or part number, unique within the store.
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(50))
    price: Mapped[Decimal] = mapped_column(Money)
    #: Free attributes shown with the product, e.g. {"RAM": "1GB", "CPU": "1 CPU"}.
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Units on hand; None means not tracked (made to order, unlimited).
    stock: Mapped[int | None] = mapped_column(Integer)
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=5)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Part id in the legacy ERP (tblpart_id), for B2B parts.
    ref_part_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def tracks_stock(self) -> bool:
        """Whether checkout must reserve stock for this product."""
        return self.stock is not None

    def is_out_of_stock(self) -> bool:
        return self.stock is not None and self.stock <= 0

    def is_low_on_stock(self) -> bool:
        return self.stock is not None and 0 < self.stock <= self.low_stock_threshold


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("store_id", "number"),
        UniqueConstraint("store_id", "idempotency_key"),
        Index("ix_orders_store_id_created_at", "store_id", "created_at"),
        Index("ix_orders_store_id_status", "store_id", "status"),
        Index("ix_orders_customer_id", "customer_id"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("discount >= 0 AND discount <= subtotal", name="discount_within_subtotal"),
    )

    #: Random CUID-style id: the tracking capability, never sequential.
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_order_id)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    #: Human-readable, unique within the store: ORD-YYYYMMDD-NNN (B2C) or ORD-YYYY-NNNNNN (B2B).
    number: Mapped[str] = mapped_column(String(40))
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel), default=Channel.STOREFRONT)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    shipping_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[OrderStatus] = mapped_column(
        StrEnumType(OrderStatus), default=OrderStatus.PENDING
    )
    payment_status: Mapped[PaymentStatus] = mapped_column(
        StrEnumType(PaymentStatus), default=PaymentStatus.PENDING
    )
    payment_method: Mapped[str | None] = mapped_column(String(50))
    courier: Mapped[str | None] = mapped_column(String(50))
    #: Who receives the goods, as given at checkout (the customer may change later).
    recipient_name: Mapped[str] = mapped_column(String(255))
    recipient_phone: Mapped[str] = mapped_column(String(20))
    shipping_address: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    admin_notes: Mapped[str | None] = mapped_column(Text)
    #: Client-chosen key that makes a resubmitted checkout return the first order.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    #: True while the order counts in the customer's total_spent (COMPLETED and PAID).
    stats_applied: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    store: Mapped[Store] = relationship()
    customer: Mapped[Customer | None] = relationship()
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

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
        Index("ix_order_items_order_id", "order_id"),
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
    #: created, edited, status, payment, notification
    kind: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    #: "system", "customer", "admin:<email>", "bot" ...
    actor: Mapped[str] = mapped_column(String(120), default="system")
    note: Mapped[str | None] = mapped_column(Text)
    #: What changed, for edits: {"discount": ["0.00", "10000.00"]}.
    data: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")


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


class Notification(db.Model):
    """An outbox row: a message to deliver after the commit that caused it."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notifications_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(20), default="whatsapp")
    #: Normalized phone (or email address for the email channel).
    recipient: Mapped[str] = mapped_column(String(255))
    #: Template key: order_confirmation, new_order_admin, order_status ...
    template: Mapped[str] = mapped_column(String(50))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[NotificationStatus] = mapped_column(
        StrEnumType(NotificationStatus), default=NotificationStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
