"""Customers of a store with the CRM fields of seed 003."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, StrEnumType, UTCDateTime, new_public_id, utcnow

if TYPE_CHECKING:
    from .stores import Store


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


class Customer(db.Model):
    """A buyer of one store, identified by the normalized phone (CRM fields of seed 003)."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("store_id", "phone"),
        Index("ix_customers_store_id_name", "store_id", "name"),
        Index("ix_customers_email", "email"),
        # Top and recent customers of the CRM overview.
        Index("ix_customers_store_id_total_spent", "store_id", "total_spent"),
        Index("ix_customers_store_id_created_at", "store_id", "created_at"),
        # A phone search across stores (the unique (store_id, phone) needs the store first).
        Index("ix_customers_phone", "phone"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        CheckConstraint("discount >= 0 AND discount <= 100", name="discount_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Opaque id shown to the public (the checkout's answer); the sequential id stays inside.
    public_id: Mapped[str] = mapped_column(String(32), unique=True,
                                           default=lambda: new_public_id("cu"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    name: Mapped[str] = mapped_column(String(255))
    #: Normalized digits without '+': 6281234567890.
    phone: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(Text)
    #: Kecamatan (district), as the couriers ask for it.
    district: Mapped[str | None] = mapped_column(String(100))
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

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})"
