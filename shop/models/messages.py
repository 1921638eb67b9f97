"""The notification outbox, the editable message templates and bulk-message campaigns."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import StrEnumType, UTCDateTime, utcnow


class NotificationStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    #: Held back on purpose (e.g. too many confirmations to one number); the reason is kept.
    SUPPRESSED = "suppressed"


class NotificationChannel(enum.StrEnum):
    WHATSAPP = "whatsapp"
    EMAIL = "email"


class Notification(db.Model):
    """An outbox row: a message to deliver after the commit that caused it.

    It keeps the template key, the recipient and the values of its moment (`data`); the
    text is rendered when it is sent (and kept in `body` from then on)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notifications_order_id", "order_id"),
        Index("ix_notifications_recipient_created_at", "recipient", "created_at"),
        Index("ix_notifications_campaign_id", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"))
    channel: Mapped[NotificationChannel] = mapped_column(
        StrEnumType(NotificationChannel, 20), default=NotificationChannel.WHATSAPP
    )
    #: Normalized phone (or email address for the email channel).
    recipient: Mapped[str] = mapped_column(String(255))
    #: Template key: order_confirmation, new_order_admin, order_status_shipped ...
    template: Mapped[str] = mapped_column(String(50))
    #: The language the recipient reads ("id" or "en").
    locale: Mapped[str] = mapped_column(String(5), default="id", server_default="id")
    #: The template's values of the moment the message was written (JSON).
    data: Mapped[dict | None] = mapped_column(JSON)
    #: The text as it was sent (rendered at delivery), and the email's subject.
    body: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[NotificationStatus] = mapped_column(
        StrEnumType(NotificationStatus), default=NotificationStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When a worker claimed it (status sending); a row stuck past a timeout is re-queued.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageTemplate(db.Model):
    """A message text edited in the back office; it replaces the built-in default of its key
    and language (shop/services/message_templates.py)."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("key", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(50))
    locale: Mapped[str] = mapped_column(String(5))
    #: The email's subject line (the WhatsApp message has none).
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Campaign(db.Model):
    """A bulk message (seed 001's broadcast): one outbox row per recipient, sent at a rate."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    #: What picked the recipients (a filter's description or "selection").
    audience: Mapped[str | None] = mapped_column(String(255))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    rate_per_minute: Mapped[int] = mapped_column(Integer, default=60)
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
