"""The legacy ERP (`data_part`, seed 004): its tables as they exist there, under the bind
"legacy" (LEGACY_DATABASE_URL). Mapped, never migrated: in production the tables belong to
the ERP; in the embedded default the demo creates them in a second SQLite file.

Seed 004 names the tables and the SO columns; the part and stock columns are those of the
ERP the seed replaces (kd_part, nm_part, het, min_stok, qty_on_hand, qty_booking, stock kept
per month). Seed 004 refers to parts by an integer (`products.ref_part_id`), so every table
has an integer `id` that the others point at."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String
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


class LegacyPart(db.Model):
    """`tblpart_id`: the ERP's master list of parts."""

    __bind_key__ = "legacy"
    __tablename__ = "tblpart_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The part number (e.g. 11200K0JN00).
    kd_part: Mapped[str] = mapped_column(String(50), unique=True)
    nm_part: Mapped[str] = mapped_column(String(200))
    #: The category (OIL, SPARE_PART, BRAKE ...).
    fk_detail_sub_kelompok_part: Mapped[str | None] = mapped_column(String(50))
    #: The list price (harga eceran tertinggi).
    het: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    #: Safety stock that is never sold.
    min_stok: Mapped[int] = mapped_column(Integer, default=0)
    part_active: Mapped[bool] = mapped_column(Boolean, default=True)


class LegacyStock(db.Model):
    """`tblstock_part_id`: a part's stock for one month; what can be sold is
    qty_on_hand - qty_booking - min_stok of the part."""

    __bind_key__ = "legacy"
    __tablename__ = "tblstock_part_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    fk_part: Mapped[int] = mapped_column(ForeignKey("tblpart_id.id"))
    qty_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    qty_booking: Mapped[int] = mapped_column(Integer, default=0)
    bulan: Mapped[int] = mapped_column(Integer)
    tahun: Mapped[int] = mapped_column(Integer)


class LegacyToko(db.Model):
    """`tbltoko`: the ERP's dealer shops (`shops.ref_toko_id` points here)."""

    __bind_key__ = "legacy"
    __tablename__ = "tbltoko"

    id: Mapped[int] = mapped_column(primary_key=True)
    kd_toko: Mapped[str] = mapped_column(String(20))
    nm_toko: Mapped[str] = mapped_column(String(100))


class LegacySalesman(db.Model):
    """`tblsalesman`: the ERP's salesmen (`sales_staff.ref_salesman_id` points here)."""

    __bind_key__ = "legacy"
    __tablename__ = "tblsalesman"

    id: Mapped[int] = mapped_column(primary_key=True)
    nm_salesman: Mapped[str] = mapped_column(String(100))
