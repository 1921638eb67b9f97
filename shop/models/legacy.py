"""The legacy ERP (`data_part`, seed 004): its tables as they exist there, under the bind
"legacy" (LEGACY_DATABASE_URL). Mapped, never migrated: in production the tables belong to
the ERP; in the embedded default the demo creates them in a second SQLite file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class LegacySalesOrder(db.Model):
    """`tblso`: a sales order (SO) as the ERP keeps it."""

    __bind_key__ = "legacy"
    __tablename__ = "tblso"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: YYYY/NNNNNN/POD-PD
    no_so: Mapped[str] = mapped_column(String(40), unique=True)
    #: "Oli Regular" when every item is in category OIL, else "Other".
    jenis_so: Mapped[str] = mapped_column(String(40))
    tgl_so: Mapped[date] = mapped_column(Date)
    fk_salesman: Mapped[int | None] = mapped_column(Integer)
    fk_toko: Mapped[int | None] = mapped_column(Integer)
    grand_total: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    status_approve_reject: Mapped[str] = mapped_column(String(40))


class LegacySalesOrderLine(db.Model):
    """`tblso_detail`: one part of a sales order."""

    __bind_key__ = "legacy"
    __tablename__ = "tblso_detail"

    id: Mapped[int] = mapped_column(primary_key=True)
    fk_so: Mapped[int] = mapped_column(ForeignKey("tblso.id"))
    fk_part: Mapped[int | None] = mapped_column(Integer)
    harga: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    qty_so: Mapped[int] = mapped_column(Integer)
    total_harga: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    qty_sisa: Mapped[int] = mapped_column(Integer)
