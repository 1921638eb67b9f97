"""Products of a store: price, attributes, stock."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, StrEnumType, UTCDateTime, utcnow
from .stores import Store


class Billing(enum.StrEnum):
    """How a product's price is meant: once per unit, or per month of a subscription (seed
    001's server packages: the quantity ordered is the number of months, 1 to 12)."""

    ONCE = "once"
    MONTHLY = "monthly"


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("store_id", "code"),
        Index("ix_products_store_id_category", "store_id", "category"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    #: SKU or part number, unique within the store.
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(50))
    price: Mapped[Decimal] = mapped_column(Money)
    #: MONTHLY: `price` is per month and an order line's qty counts months.
    billing: Mapped[Billing] = mapped_column(StrEnumType(Billing, 16), default=Billing.ONCE,
                                             server_default=Billing.ONCE.value)
    #: Free attributes shown with the product, e.g. {"RAM": "1GB", "CPU": "1 CPU"}.
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Units on hand; None means not tracked (made to order, unlimited).
    stock: Mapped[int | None] = mapped_column(Integer)
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=5)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Part id in the legacy ERP (tblpart_id), for B2B parts.
    ref_part_id: Mapped[int | None] = mapped_column(Integer)
    #: What the legacy ERP can sell of this part, as last read (None: never read), and when.
    legacy_stock: Mapped[int | None] = mapped_column(Integer)
    stock_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    photos: Mapped[list[ProductPhoto]] = relationship(
        order_by="ProductPhoto.position", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def tracks_stock(self) -> bool:
        """Whether checkout must reserve stock for this product."""
        return self.stock is not None

    def is_out_of_stock(self) -> bool:
        return self.stock is not None and self.stock <= 0

    def is_low_on_stock(self) -> bool:
        return self.stock is not None and 0 < self.stock <= self.low_stock_threshold


class ProductPhoto(db.Model):
    """A photo of a product, resized for the web and stored under a random name."""

    __tablename__ = "product_photos"
    __table_args__ = (Index("ix_product_photos_product_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    #: File name in the upload folder: 32 random hex characters and the format's extension.
    filename: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    #: Order of the photos; the first is the product's main photo.
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockMovement(db.Model):
    """A change of a product's stock made by hand, with its reason (seed 002)."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        Index("ix_stock_movements_product_id_created_at", "product_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    #: Stock before and after; None means not tracked (unlimited).
    stock_before: Mapped[int | None] = mapped_column(Integer)
    stock_after: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    #: "admin:<email>" of whoever made the change.
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)



#: What substring search of products looks in: the part number and the name, lower-cased.
SEARCH_TEXT = "lower((code || ' ') || name)"
#: Indexes made by create_trigram_indexes, outside the metadata (PostgreSQL only): the
#: migrations' comparison leaves them alone.
TRIGRAM_INDEXES = ("ix_products_search_trgm",)


def create_trigram_indexes(connection) -> None:
    """PostgreSQL: a trigram index of SEARCH_TEXT, which serves substring search of part
    numbers and names (the B2B portal's 50,000 parts; LIKE '%...%' of 3 letters or more).
    One expression instead of an ILIKE per column: on 50,000 parts a common word is found
    in ~4 ms instead of ~30 ms (the recheck lower-cases only the candidate rows). Other
    databases scan.

    The operator class is named with the schema pg_trgm lives in, which need not be on the
    search path of the schema the products table is in."""
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema = connection.exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    ).scalar_one()
    connection.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_products_search_trgm ON products "  # noqa: S608
        f"USING gin (({SEARCH_TEXT}) {schema}.gin_trgm_ops)")


event.listen(Product.__table__, "after_create",
             lambda _table, connection, **_kw: create_trigram_indexes(connection))


#: The products' columns the storefront shows or searches (the grid, its categories, the
#: cart's prices): a change of any of them raises the store's `catalog_version`.
CATALOG_COLUMNS = ("store_id", "code", "name", "description", "category", "price", "billing",
                   "attributes", "low_stock_threshold", "is_active")
#: Columns no shopper sees. `stock` is shown only as a state (sold out, "Sisa n" while low,
#: in stock), so a checkout raises the version only when that state changes, and the many
#: checkouts of a well-stocked product leave the cached pages alone.
UNSHOWN_COLUMNS = ("id", "stock", "ref_part_id", "legacy_stock", "stock_synced_at",
                   "created_at", "updated_at")
#: The stock as a shopper sees it: untracked, sold out, the number while low, or plenty.
_SHOWN_STOCK = ("CASE WHEN {p}.stock IS NULL THEN -1 WHEN {p}.stock <= 0 THEN 0"
                " WHEN {p}.stock <= {p}.low_stock_threshold THEN {p}.stock ELSE -2 END")
#: The triggers that raise the version, by name (PostgreSQL: SET CONSTRAINTS takes them).
CATALOG_TRIGGERS = ("catalog_version_product_added", "catalog_version_product_changed",
                    "catalog_version_product_removed", "catalog_version_photos")


def _catalog_changed() -> str:
    changed = [f"OLD.{c} IS NOT NEW.{c}" for c in CATALOG_COLUMNS]
    changed.append(f"({_SHOWN_STOCK.format(p='OLD')}) IS NOT ({_SHOWN_STOCK.format(p='NEW')})")
    return " OR ".join(changed)


def _pg_catalog_changed() -> str:
    # json has no equality: its text is compared.
    changed = [f"OLD.{c}{'::text' if c == 'attributes' else ''} IS DISTINCT FROM "
               f"NEW.{c}{'::text' if c == 'attributes' else ''}" for c in CATALOG_COLUMNS]
    changed.append(f"({_SHOWN_STOCK.format(p='OLD')}) IS DISTINCT FROM "
                   f"({_SHOWN_STOCK.format(p='NEW')})")
    return " OR ".join(changed)


def create_catalog_version_triggers(connection) -> None:
    """Triggers that raise `stores.catalog_version` whenever a change to a store's products
    or photos alters what its storefront shows: a product added, removed, or changed in a
    shown column or in its shown stock state.

    On PostgreSQL they are constraint triggers deferred to the commit: the store's row is
    locked last, after every product row the transaction will lock, so two transactions never
    wait for each other across it (a checkout locks its products, then at its commit the
    store). Readers therefore see a version only together with the data it stands for.
    SQLite has one writer at a time: plain triggers."""
    run = connection.exec_driver_sql
    bump = "UPDATE stores SET catalog_version = catalog_version + 1 WHERE id = {}"
    if connection.dialect.name == "postgresql":
        run(f"""CREATE OR REPLACE FUNCTION bump_catalog_version() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_TABLE_NAME = 'product_photos' THEN
                {bump.format("(SELECT store_id FROM products WHERE id = "
                             "CASE WHEN TG_OP = 'DELETE' THEN OLD.product_id "
                             "ELSE NEW.product_id END)")};
                IF TG_OP = 'UPDATE' AND OLD.product_id <> NEW.product_id THEN
                  {bump.format("(SELECT store_id FROM products WHERE id = OLD.product_id)")};
                END IF;
                RETURN NULL;
              END IF;
              IF TG_OP <> 'INSERT' THEN {bump.format("OLD.store_id")}; END IF;
              IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.store_id <> OLD.store_id) THEN
                {bump.format("NEW.store_id")};
              END IF;
              RETURN NULL;
            END $$""")  # noqa: S608 (only the code's own column names are formatted in)
        for name, when, table, condition in (
                (CATALOG_TRIGGERS[0], "INSERT", "products", None),
                (CATALOG_TRIGGERS[1], "UPDATE", "products", _pg_catalog_changed()),
                (CATALOG_TRIGGERS[2], "DELETE", "products", None),
                (CATALOG_TRIGGERS[3], "INSERT OR UPDATE OR DELETE", "product_photos", None)):
            run(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            run(f"CREATE CONSTRAINT TRIGGER {name} AFTER {when} ON {table}"
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                + (f" WHEN ({condition})" if condition else "")
                + " EXECUTE FUNCTION bump_catalog_version()")
        return
    photo_store = "(SELECT store_id FROM products WHERE id = {}.product_id)"
    for name, when, table, condition, body in (
            (CATALOG_TRIGGERS[0], "INSERT", "products", None, bump.format("NEW.store_id")),
            (CATALOG_TRIGGERS[1], "UPDATE", "products", _catalog_changed(),
             f"{bump.format('OLD.store_id')}; {bump.format('NEW.store_id')} "
             "AND NEW.store_id <> OLD.store_id"),
            (CATALOG_TRIGGERS[2], "DELETE", "products", None, bump.format("OLD.store_id")),
            ("catalog_version_photo_added", "INSERT", "product_photos", None,
             bump.format(photo_store.format("NEW"))),
            ("catalog_version_photo_changed", "UPDATE", "product_photos", None,
             f"{bump.format(photo_store.format('OLD'))}; "
             f"{bump.format(photo_store.format('NEW'))} AND NEW.product_id <> OLD.product_id"),
            ("catalog_version_photo_removed", "DELETE", "product_photos", None,
             bump.format(photo_store.format("OLD")))):
        run(f"DROP TRIGGER IF EXISTS {name}")
        run(f"CREATE TRIGGER {name} AFTER {when} ON {table} FOR EACH ROW"
            + (f" WHEN {condition}" if condition else "") + f" BEGIN {body}; END")


event.listen(ProductPhoto.__table__, "after_create",
             lambda _table, connection, **_kw: create_catalog_version_triggers(connection))


#: The stores' columns the storefront and the checkout read (services/stores.py, StoreInfo):
#: a change of any of them raises the store's `catalog_version` too, so that each process
#: keeps the store's row under its version and reads only the version on every request.
STORE_COLUMNS = ("slug", "name", "whatsapp", "address", "timezone", "bank_accounts", "couriers",
                 "admin_whatsapp", "shipping_rates", "e_wallets", "logo", "unique_code_enabled",
                 "qris_payload", "is_active")
_JSON_STORE_COLUMNS = frozenset({"bank_accounts", "couriers", "admin_whatsapp",
                                 "shipping_rates", "e_wallets"})
STORE_TRIGGER = "catalog_version_store_changed"


def create_store_version_trigger(connection) -> None:
    """A trigger that raises `stores.catalog_version` when an update changes one of
    STORE_COLUMNS (an update that raises the version itself, the products' triggers', is
    left alone). On PostgreSQL it sets the new row's version before the write, so the row is
    written once; on SQLite it raises it right after. A migration that rebuilds `stores` on
    SQLite (batch mode copies the table) must create it again."""
    run = connection.exec_driver_sql
    if connection.dialect.name == "postgresql":
        changed = " OR ".join(
            f"OLD.{c}{'::text' * (c in _JSON_STORE_COLUMNS)} IS DISTINCT FROM "
            f"NEW.{c}{'::text' * (c in _JSON_STORE_COLUMNS)}" for c in STORE_COLUMNS)
        run("""CREATE OR REPLACE FUNCTION bump_store_version() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              NEW.catalog_version := OLD.catalog_version + 1;
              RETURN NEW;
            END $$""")
        run(f"DROP TRIGGER IF EXISTS {STORE_TRIGGER} ON stores")
        run(f"CREATE TRIGGER {STORE_TRIGGER} BEFORE UPDATE ON stores FOR EACH ROW"
            f" WHEN (NEW.catalog_version = OLD.catalog_version AND ({changed}))"
            " EXECUTE FUNCTION bump_store_version()")
        return
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in STORE_COLUMNS)
    bump = "UPDATE stores SET catalog_version = catalog_version + 1 WHERE id = NEW.id"
    run(f"DROP TRIGGER IF EXISTS {STORE_TRIGGER}")
    run(f"CREATE TRIGGER {STORE_TRIGGER} AFTER UPDATE ON stores FOR EACH ROW"
        f" WHEN NEW.catalog_version = OLD.catalog_version AND ({changed}) BEGIN {bump}; END")


def drop_store_version_trigger(connection) -> None:
    """The migration's way back."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {STORE_TRIGGER} ON stores")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS bump_store_version()")
    else:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {STORE_TRIGGER}")


event.listen(Store.__table__, "after_create",
             lambda _table, connection, **_kw: create_store_version_trigger(connection))
