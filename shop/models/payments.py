"""Payments recorded against orders, transfer proofs, and shipments (seed 002)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, StrEnumType, UTCDateTime, utcnow
from .orders import Order, PaymentMethod


class PaymentRecordStatus(enum.StrEnum):
    #: A shopper's "Saya sudah bayar" with a transfer proof, waiting for an admin.
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class Carrier(enum.StrEnum):
    """Shipping carriers of seed 002."""

    JNE = "jne"
    SICEPAT = "sicepat"
    TIKI = "tiki"
    POS = "pos"
    GOFRESH = "gofresh"


class ShipmentStatus(enum.StrEnum):
    PROCESSING = "PROCESSING"
    PENDING_PICKUP = "PENDING_PICKUP"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class Payment(db.Model):
    """Money received (or claimed by a transfer proof) for an order."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_order_id", "order_id"),
        Index("ix_payments_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    method: Mapped[PaymentMethod | None] = mapped_column(StrEnumType(PaymentMethod, 20))
    amount: Mapped[Decimal] = mapped_column(Money)
    #: The bank's or wallet's reference, as the admin typed it.
    reference: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[PaymentRecordStatus] = mapped_column(
        StrEnumType(PaymentRecordStatus, 20), default=PaymentRecordStatus.CONFIRMED
    )
    #: File name of the transfer proof in the upload folder (random).
    proof: Mapped[str | None] = mapped_column(String(64))
    #: Why a proof was rejected; the tracking page shows it.
    note: Mapped[str | None] = mapped_column(Text)
    #: Who recorded it: "customer", "admin:<email>".
    actor: Mapped[str] = mapped_column(String(120), default="system")
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship()


class Shipment(db.Model):
    """A parcel sent for an order, with the carrier's tracking number."""

    __tablename__ = "shipments"
    __table_args__ = (
        Index("ix_shipments_order_id", "order_id"),
        Index("ix_shipments_tracking_number", "tracking_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    carrier: Mapped[Carrier] = mapped_column(StrEnumType(Carrier, 20))
    tracking_number: Mapped[str] = mapped_column(String(64))
    status: Mapped[ShipmentStatus] = mapped_column(
        StrEnumType(ShipmentStatus, 20), default=ShipmentStatus.IN_TRANSIT
    )
    current_location: Mapped[str | None] = mapped_column(String(120))
    estimated_delivery: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship()
