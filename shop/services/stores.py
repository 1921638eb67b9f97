"""Stores and their catalogs as the storefront shows them."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import bindparam, select

from ..errors import NotFound
from ..extensions import db
from ..models import Product, Store
from ..template_i18n import gettext as _
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
    bank_accounts: list
    couriers: list
    #: More numbers that get the store's alerts (new orders, transfer proofs).
    admin_whatsapp: list | None
    #: Fee per courier (services/shipping_fees.py).
    shipping_rates: list
    e_wallets: list
    #: File name of the logo in the upload folder, shown in the store's header.
    logo: str | None
    #: Bank transfers get a unique code (services/transfer_codes.py).
    unique_code_enabled: bool
    #: The store's static QRIS payload (services/qris.py), or None.
    qris_payload: str | None
    #: Raised by the database with every change its storefront shows (models/catalog.py).
    catalog_version: int


STORE_BY_SLUG = (
    select(*[Store.__table__.c[f.name] for f in fields(StoreInfo)])
    .where(Store.slug == bindparam("slug"), Store.is_active.is_(True))
)


def get_store(slug: str) -> StoreInfo:
    """The active store with this slug. Raises NotFound."""
    # A slug no store can have (too long, control characters) is not sent to the database:
    # PostgreSQL refuses a NUL and a lone surrogate cannot be encoded.
    wellformed = isinstance(slug, str) and len(slug) <= MAX_SLUG and is_clean_text(slug)
    row = db.session.connection().execute(STORE_BY_SLUG, {"slug": slug}).one_or_none() \
        if wellformed else None
    if row is None:
        raise NotFound(_("Toko tidak ditemukan."))
    return StoreInfo(**row._mapping)


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
