"""Stores and their catalogs as the storefront shows them."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from ..errors import NotFound
from ..extensions import db
from ..models import Product, Store

STORE_BY_SLUG = select(Store).where(Store.slug == bindparam("slug"), Store.is_active.is_(True))


def get_store(slug: str) -> Store:
    """The active store with this slug. Raises NotFound."""
    store = db.session.execute(STORE_BY_SLUG, {"slug": slug}).scalar_one_or_none() \
        if len(slug) <= 64 else None
    if store is None:
        raise NotFound("Toko tidak ditemukan.")
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
