"""Products of a store: price, attributes, stock."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Money, UTCDateTime, utcnow


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
