"""The notification outbox: messages delivered after the commit that caused them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import StrEnumType, UTCDateTime, utcnow


class NotificationStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class NotificationChannel(enum.StrEnum):
    WHATSAPP = "whatsapp"
    EMAIL = "email"


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
    channel: Mapped[NotificationChannel] = mapped_column(
        StrEnumType(NotificationChannel, 20), default=NotificationChannel.WHATSAPP
    )
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
