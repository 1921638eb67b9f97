"""Per-store API keys of the bot tools API (issue 13, item 3). Only the key's SHA-256 is
kept; admins recognise a key by its prefix."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .stores import Store


class ApiKey(db.Model):
    """A key one store's bot calls the tools API with (`Authorization: Bearer <key>`)."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_store_id", "store_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    #: The key's first characters ("shk_AbCd1234"), shown to admins to tell keys apart.
    prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 of the key (hex); the key itself is shown once, when it is made.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who made it: "admin:<email>", "cli".
    created_by: Mapped[str] = mapped_column(String(120))
    #: When a call last used it (written at most once a minute).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(120))

    store: Mapped[Store] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
