"""The B2B portal's own tables (seed 004, schema pmov2): one-time codes, dealer sessions,
the dealer's cart and the prices a distributor gives one shop."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, UTCDateTime, utcnow

if TYPE_CHECKING:
    from .catalog import Product
    from .dealers import Shop


class ShopOtp(db.Model):
    """A one-time login code sent to a dealer's WhatsApp. Only its HMAC is kept."""

    __tablename__ = "otps"
    __table_args__ = (
        Index("ix_otps_phone_created_at", "phone", "created_at"),
        Index("ix_otps_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Normalized digits of the number the code went to.
    phone: Mapped[str] = mapped_column(String(20))
    #: HMAC-SHA256 of the code under the app's secret (hex); never the code itself.
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set once, by the one verification that used the code (single use).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Wrong codes typed while this one was the newest.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShopSession(db.Model):
    """A dealer's login: a bearer token (kept as SHA-256) valid 7 days, extended while used."""

    __tablename__ = "shop_sessions"
    __table_args__ = (Index("ix_shop_sessions_shop_id", "shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    #: SHA-256 of the token (hex); the token itself is only ever in the dealer's hands.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)
    last_activity: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set by logout, or when the shop is disabled.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shop: Mapped[Shop] = relationship()


class Cart(db.Model):
    """A dealer shop's cart: one per shop, kept in the database; emptied by checkout.

    Seed 004 keeps `status` with UNIQUE(shop_id, status), which would allow one checked-out
    cart per shop ever; the order keeps what was bought, so one cart row per shop is enough."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"),
                                         unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", order_by="CartItem.id", cascade="all, delete-orphan")


class CartItem(db.Model):
    """A part in a dealer's cart. Prices are not kept here: the cart shows, and checkout
    charges, the shop's price of the moment."""

    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("cart_id", "product_id"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    qty: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()


class DealerPrice(db.Model):
    """The price one dealer shop pays for one product (wins over the shop's discount)."""

    __tablename__ = "dealer_prices"
    __table_args__ = (
        UniqueConstraint("shop_id", "product_id"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    price: Mapped[Decimal] = mapped_column(Money)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship()
