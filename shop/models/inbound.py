"""Incoming WhatsApp messages already handled (issue 13, item 1): one row per provider
message id, so a webhook the gateway delivers again is answered once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class InboundMessage(db.Model):
    """A message a customer or admin sent to a store's WhatsApp number, written in the same
    transaction as the replies to it."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The gateway's or the Cloud API's id of the message ("wamid.HBgM...").
    provider_message_id: Mapped[str] = mapped_column(String(200), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True)
    #: The sender's normalized number (6281234567890), or as sent when it is no number.
    sender: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
