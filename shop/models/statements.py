"""Bank statements (mutasi rekening) uploaded by a store's owner, line by line, matched to
unpaid orders by their amount due (services/statements.py)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, StrEnumType, UTCDateTime, utcnow


class LineStatus(enum.StrEnum):
    #: One unpaid order has exactly this amount due in the line's date window.
    PROPOSED = "proposed"
    #: More than one order fits: the owner picks, or leaves it.
    AMBIGUOUS = "ambiguous"
    UNMATCHED = "unmatched"
    #: The same line (date, description, amount, and which repeat of them) was confirmed
    #: from an earlier upload: it pays nothing twice.
    DUPLICATE = "duplicate"
    #: Confirmed by the owner: a Payment was recorded and the order marked PAID.
    CONFIRMED = "confirmed"
    #: Its order was paid or cancelled in the meantime; nothing was recorded.
    SKIPPED = "skipped"


class StatementImport(db.Model):
    """One uploaded statement file of a store."""

    __tablename__ = "statement_imports"
    __table_args__ = (Index("ix_statement_imports_store_id_created_at", "store_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    #: The column preset the file was read with: bca, mandiri, bri or custom.
    preset: Mapped[str] = mapped_column(String(20))
    uploaded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by: Mapped[str | None] = mapped_column(String(120))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[StatementLine]] = relationship(
        back_populates="statement", order_by="StatementLine.line_number",
        cascade="all, delete-orphan")


class StatementLine(db.Model):
    """A credit of an uploaded statement and what it was matched to."""

    __tablename__ = "statement_lines"
    __table_args__ = (
        Index("ix_statement_lines_import_id", "import_id"),
        # A line pays once: two confirmations of the same line (a file uploaded twice,
        # confirmed twice at the same moment) cannot both record a payment.
        Index("uq_statement_lines_store_id_fingerprint_confirmed", "store_id", "fingerprint",
              unique=True, postgresql_where=text("status = 'confirmed'"),
              sqlite_where=text("status = 'confirmed'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("statement_imports.id",
                                                      ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    #: Its row in the file (1 = the first data row), for the owner to find it.
    line_number: Mapped[int] = mapped_column(Integer)
    #: SHA-256 of the date, description, amount and which repeat of them in the file.
    fingerprint: Mapped[str] = mapped_column(String(64))
    posted_on: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[LineStatus] = mapped_column(StrEnumType(LineStatus, 20))
    #: The proposed (then paid) order; for an ambiguous line, none.
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    #: The ids of the orders an ambiguous line fits, for the owner to choose from.
    candidates: Mapped[list | None] = mapped_column(JSON)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id",
                                                              ondelete="SET NULL"))

    statement: Mapped[StatementImport] = relationship(back_populates="lines")
