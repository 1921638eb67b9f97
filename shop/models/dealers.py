"""Dealer shops (toko) of a distributor store and its sales staff (seed 004)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import StrEnumType, UTCDateTime, utcnow

if TYPE_CHECKING:
    from .stores import Store


class StaffPosition(enum.StrEnum):
    SALES = "sales"
    SUPERVISOR = "spv"


class SalesStaff(db.Model):
    """A salesman or a supervisor (spv) of the distributor."""

    __tablename__ = "sales_staff"
    __table_args__ = (Index("ix_sales_staff_store_id", "store_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    name: Mapped[str] = mapped_column(String(100))
    #: Normalized digits (6281234567890).
    phone: Mapped[str | None] = mapped_column(String(20))
    position: Mapped[StaffPosition] = mapped_column(
        StrEnumType(StaffPosition, 10), default=StaffPosition.SALES
    )
    #: The supervisor (spv) of a salesman.
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("sales_staff.id"))
    #: The salesman's id in the legacy ERP (tblsalesman): the SO's fk_salesman.
    ref_salesman_id: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    store: Mapped[Store] = relationship()
    supervisor: Mapped[SalesStaff | None] = relationship(remote_side=[id])

    def __str__(self) -> str:
        return f"{self.name} ({self.position.value})"


class Shop(db.Model):
    """A dealer shop that orders parts from a distributor store through the B2B portal."""

    __tablename__ = "shops"
    __table_args__ = (
        Index("ix_shops_store_id", "store_id"),
        CheckConstraint("discount_percent >= 0 AND discount_percent < 100",
                        name="discount_percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The distributor store the shop buys from.
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    #: TK001, unique.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    #: Normalized digits; the OTP login goes to this number.
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    address: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(50))
    province: Mapped[str | None] = mapped_column(String(50))
    #: The shop's id in the legacy ERP (data_part.tbltoko).
    ref_toko_id: Mapped[int | None] = mapped_column(Integer)
    salesman_id: Mapped[int | None] = mapped_column(ForeignKey("sales_staff.id"))
    #: Off the list price of every product without a dealer price for this shop.
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"),
                                                      server_default="0")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    store: Mapped[Store] = relationship()
    salesman: Mapped[SalesStaff | None] = relationship()

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
