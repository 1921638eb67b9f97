"""Stores (the tenants) and the people who run them in the back office."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import StrEnumType, UTCDateTime, new_public_id, utcnow


class AdminRole(enum.StrEnum):
    SUPER_ADMIN = "super_admin"
    ADMIN = "admin"


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
    #: [{"provider": "GoPay", "number": "081234567890", "holder": "Burger China"}]
    e_wallets: Mapped[list] = mapped_column(JSON, default=list)
    #: Couriers offered at checkout; empty means free text.
    couriers: Mapped[list] = mapped_column(JSON, default=list)
    #: Shipping fee per courier: [{"courier": "JNE", "fee": "15000.00", "free_from":
    #: "200000.00" or null}]. A courier of `couriers` without a rate has its fee confirmed by
    #: an admin after the order ("ongkir dikonfirmasi admin"); see services/shipping_fees.py.
    shipping_rates: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    #: Normalized WhatsApp numbers of the admins who get the new-order alert.
    admin_whatsapp: Mapped[list] = mapped_column(JSON, default=list)
    #: File name of the logo in the upload folder (random, set by the back office).
    logo: Mapped[str | None] = mapped_column(String(64))
    #: Bank transfers get a unique code (kode unik, 1-999) added to the amount, so that each
    #: unpaid order's amount due tells it apart in the bank's statement (services/
    #: transfer_codes.py).
    unique_code_enabled: Mapped[bool] = mapped_column(Boolean, default=False,
                                                      server_default="0")
    #: The payload of the store's printed (static) QRIS, validated by services/qris.py; each
    #: QRIS order shows a dynamic one with its amount due.
    qris_payload: Mapped[str | None] = mapped_column(Text)
    #: The columns of the bank's statement export as last chosen on upload:
    #: {"preset": "bca"|"mandiri"|"bri"|"custom", "date": n, "description": n, "credit": n}.
    statement_mapping: Mapped[dict | None] = mapped_column(JSON)
    #: Raised by the database whenever something its storefront shows of its products
    #: changes (models/catalog.py, catalog_version_triggers): the key of the pages and
    #: prices each web process keeps, so none of them ever shows a stale one.
    catalog_version: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return self.name


admin_user_stores = Table(
    "admin_user_stores", db.metadata,
    Column("admin_user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"),
           primary_key=True),
    Column("store_id", Integer, ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
)


class AdminUser(UserMixin, db.Model):
    """A person of the business in the back office."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    #: A slow hash (scrypt), never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[AdminRole] = mapped_column(StrEnumType(AdminRole, 20), default=AdminRole.ADMIN)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Part of the login cookie's id: a new value (disable, new password) ends every session.
    session_key: Mapped[str] = mapped_column(String(32), default=lambda: new_public_id("s"))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    #: The stores an `admin` manages; a `super_admin` manages every store.
    stores: Mapped[list[Store]] = relationship(secondary=admin_user_stores, order_by=Store.id)

    def get_id(self) -> str:
        """The login cookie's id: user id and session key."""
        return f"{self.id}:{self.session_key}"

    def is_super_admin(self) -> bool:
        return self.role == AdminRole.SUPER_ADMIN

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class LoginAttempt(db.Model):
    """One try at the admin login: counted per account and per client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_created_at", "email", "created_at"),
        Index("ix_login_attempts_client_created_at", "client", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255))
    client: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
