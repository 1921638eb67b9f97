"""Stores and their catalogs as the storefront shows them."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import bindparam, select

from ..errors import NotFound
from ..extensions import db
from ..models import Product, Store
from ..template_i18n import gettext as _
from .process_cache import process_cache
from .sql import DriverQuery
from .validation import is_clean_text

MAX_SLUG = 64


@dataclass(frozen=True)
class StoreInfo:
    """What the storefront and checkout read of a store: a plain value, read with one Core
    query (an ORM entity costs twice as much on the busiest path). The back office edits
    the Store model itself."""

    id: int
    slug: str
    name: str
    whatsapp: str
    address: str | None
    timezone: str
    bank_accounts: tuple
    couriers: tuple
    #: More numbers that get the store's alerts (new orders, transfer proofs).
    admin_whatsapp: tuple | None
    #: Fee per courier (services/shipping_fees.py).
    shipping_rates: tuple
    e_wallets: tuple
    #: File name of the logo in the upload folder, shown in the store's header.
    logo: str | None
    #: Bank transfers get a unique code (services/transfer_codes.py).
    unique_code_enabled: bool
    #: The store's static QRIS payload (services/qris.py), or None.
    qris_payload: str | None
    #: Raised by the database with every change its storefront shows (models/catalog.py).
    catalog_version: int


#: What names the store's row as it is now: its id and version, and when it was made (an id
#: can come back on SQLite, for a store made after the last one was deleted).
STORE_VERSION = DriverQuery(
    select(Store.id, Store.catalog_version, Store.created_at)
    .where(Store.slug == bindparam("slug"), Store.is_active.is_(True)))
STORE_BY_ID = (
    select(*[Store.__table__.c[f.name] for f in fields(StoreInfo)])
    .where(Store.id == bindparam("id"), Store.is_active.is_(True))
)
#: Stores whose row each process keeps (by STORE_VERSION): far more than one process serves.
STORE_CACHE_SIZE = 64


def get_store(slug: str) -> StoreInfo:
    """The active store with this slug. Raises NotFound.

    Only the store's id and version are read on every request; the row itself once per
    version and process (a change the storefront would show raises the version, see
    models/catalog.py: 628 k -> ~120 k instructions a call)."""
    # A slug no store can have (too long, control characters) is not sent to the database:
    # PostgreSQL refuses a NUL and a lone surrogate cannot be encoded.
    wellformed = isinstance(slug, str) and len(slug) <= MAX_SLUG and is_clean_text(slug)
    found = STORE_VERSION.first({"slug": slug}) if wellformed else None
    if found is None:
        raise NotFound(_("Toko tidak ditemukan."))
    stores = process_cache("stores", STORE_CACHE_SIZE)
    key = tuple(found)
    store = stores.get(key)
    if store is None:
        row = db.session.connection().execute(STORE_BY_ID, {"id": found[0]}).one_or_none()
        if row is None:  # turned off since
            raise NotFound(_("Toko tidak ditemukan."))
        # Shared by every request of the process: its lists are made tuples, so no caller
        # can change them for the others.
        store = StoreInfo(**{name: tuple(value) if isinstance(value, list) else value
                             for name, value in row._mapping.items()})
        if store.catalog_version == key[1]:  # else it changed since: read again next time
            stores.put(key, store)
    return store


def list_catalog(store: Store) -> list[Product]:
    """The store's active products by category then name."""
    return list(db.session.execute(
        select(Product).where(Product.store_id == store.id, Product.is_active.is_(True))
        .order_by(Product.category, Product.name)
    ).scalars())


def products_by_code(store: Store, codes) -> dict[str, Product]:
    """The store's products with these codes (any state), keyed by code."""
    codes = list(codes)
    if not codes:
        return {}
    return {p.code: p for p in db.session.execute(
        select(Product).where(Product.store_id == store.id, Product.code.in_(codes))).scalars()}
