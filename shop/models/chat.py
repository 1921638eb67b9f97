"""The support chat (issue 13, item 5): a store's FAQ that the model is given, and each
conversation with its turns, kept so that the next message continues it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, new_public_id, utcnow


class FaqEntry(db.Model):
    """One question and its answer, written by the store's admins in the back office."""

    __tablename__ = "faq_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True)
    question: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(Text)
    #: Order on the FAQ page and in the model's instructions (smaller first).
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChatConversation(db.Model):
    """A conversation of a shopper with a store's support bot."""

    __tablename__ = "chat_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The id the caller continues the conversation with; unguessable.
    public_id: Mapped[str] = mapped_column(String(32), unique=True,
                                           default=lambda: new_public_id("cv"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True)
    #: The customer the bot may look up orders for (from customerId or phone), if known.
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    #: Where it was held: "web" (the storefront's chat box) or "api".
    channel: Mapped[str] = mapped_column(String(16), default="api")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    turns: Mapped[list[ChatTurn]] = relationship(
        back_populates="conversation", order_by="ChatTurn.position",
        cascade="all, delete-orphan")


class ChatTurn(db.Model):
    """One message of a conversation as the Messages API takes it back: the role and its
    content blocks (text, tool_use, tool_result)."""

    __tablename__ = "chat_turns"
    __table_args__ = (UniqueConstraint("conversation_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    #: "user" or "assistant".
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conversation: Mapped[ChatConversation] = relationship(back_populates="turns")
