"""Stores (the tenants) and the people who run them in the back office."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


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
