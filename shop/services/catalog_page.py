"""The storefront's catalog as shoppers browse it: one page of a store's active products,
filtered by a search text and a category, with their photos and the store's categories; and
one product's page. A page costs the same few statements whatever the store holds (the
products with their count, their main photos and the categories in one query)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..errors import NotFound
from ..extensions import db
from ..models import Billing, Product, ProductPhoto
from .stores import StoreInfo
from .validation import MAX_CODE, clean_page_number, is_clean_text, is_product_code, page_count

#: Products on one page of the grid: 2, 3 and 4 columns all fill their rows.
PAGE_SIZE = 24
#: Longest search text kept (a longer one is cut, never refused: a bad link shows a page).
MAX_SEARCH = 100
MAX_PAGE = 1000
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CardPhoto:
    filename: str
    width: int
    height: int


@dataclass(frozen=True)
class CardProduct:
    """What a card of the grid shows of a product: a plain value read with the page's one
    query (an ORM entity and its photos cost more than the whole card). Being every value
    the card shows, it is also the key of the card's rendered HTML (storefront/catalog.py)."""

    id: int
    code: str
    name: str
    category: str | None
    price: Decimal
    billing: Billing
    stock: int | None
    low_stock_threshold: int
    photo: CardPhoto | None

    def tracks_stock(self) -> bool:
        return self.stock is not None

    def is_out_of_stock(self) -> bool:
        return self.stock is not None and self.stock <= 0

    def is_low_on_stock(self) -> bool:
        return self.stock is not None and 0 < self.stock <= self.low_stock_threshold


CARD_COLUMNS = (Product.id, Product.code, Product.name, Product.category, Product.price,
                Product.billing, Product.stock, Product.low_stock_threshold)


@dataclass(frozen=True)
class CatalogPage:
    """One page of the grid and what it was asked for."""

    products: list[CardProduct]
    #: The store's categories that have an active product, by name.
    categories: list[str]
    #: Products matching the search and category, on every page.
    total: int
    page: int
    pages: int
    search: str
    category: str | None

    @property
    def filtered(self) -> bool:
        return bool(self.search or self.category)


def clean_search(raw) -> str:
    """A search text from a query string: one line, spaces collapsed, at most MAX_SEARCH
    characters; anything unreadable is no search."""
    if not isinstance(raw, str) or not is_clean_text(raw):
        return ""
    return _SPACES.sub(" ", raw).strip()[:MAX_SEARCH]


def _categories_of(store: StoreInfo):
    return (select(Product.category).distinct()
            .where(Product.store_id == store.id, Product.is_active.is_(True),
                   Product.category.is_not(None), Product.category != ""))


def list_categories(store: StoreInfo) -> list[str]:
    """The categories of the store's active products, by name."""
    return list(db.session.scalars(_categories_of(store).order_by(Product.category)))


def _page_query(store: StoreInfo, conditions: list, number: int, dialect: str):
    """One statement for the grid: the page of products (their count over the filtered rows
    on each), each one's main photo looked up for that page only, and the store's categories
    aggregated once (json_agg on PostgreSQL, json_group_array on SQLite)."""
    page = (select(*CARD_COLUMNS, func.count().over().label("total")).where(*conditions)
            .order_by(Product.category, Product.name, Product.id)
            .limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE).subquery("page"))
    first_photo = (select(ProductPhoto.id).where(ProductPhoto.product_id == page.c.id)
                   .order_by(ProductPhoto.position, ProductPhoto.id).limit(1)
                   .correlate(page).scalar_subquery())
    names = _categories_of(store).subquery("names")
    agg = func.json_agg if dialect == "postgresql" else func.json_group_array
    categories = select(agg(names.c.category)).scalar_subquery()
    return (select(page, ProductPhoto.filename, ProductPhoto.width, ProductPhoto.height,
                   categories.label("categories"))
            .outerjoin(ProductPhoto, ProductPhoto.id == first_photo)
            .order_by(page.c.category, page.c.name, page.c.id))


def find_products(store: StoreInfo, *, search="", category=None, page=1) -> CatalogPage:
    """One page of the store's active products whose code, name or description holds the
    search text (any case) and that are in the category, by category then name, with their
    photos loaded; an unknown category or a page past the end is an empty page."""
    search = clean_search(search)
    category = category if isinstance(category, str) and is_clean_text(category) \
        and category else None
    number = clean_page_number(page, 1, MAX_PAGE)
    conditions = [Product.store_id == store.id, Product.is_active.is_(True)]
    if category is not None:
        conditions.append(Product.category == category[:50])
    if search:
        pattern = "%" + _escape_like(search.lower()) + "%"
        conditions.append(or_(*(func.lower(column).like(pattern, escape="\\") for column in
                                (Product.code, Product.name, Product.description))))
    connection = db.session.connection()
    rows = connection.execute(
        _page_query(store, conditions, number, connection.dialect.name)).all()
    total = rows[0].total if rows else 0
    # An empty page (nothing found) has no row to carry the categories: one more statement.
    categories = sorted(c for c in _json_list(rows[0].categories) if c) if rows \
        else list_categories(store)
    return CatalogPage(products=[_card(row) for row in rows], categories=categories,
                       total=total, page=number, pages=page_count(total, PAGE_SIZE),
                       search=search, category=category)


def _json_list(value) -> list:
    """An aggregated JSON array: psycopg decodes it, SQLite hands over text; none is null."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def _card(row) -> CardProduct:
    photo = CardPhoto(row.filename, row.width, row.height) if row.filename else None
    return CardProduct(row.id, row.code, row.name, row.category, row.price, row.billing,
                       row.stock, row.low_stock_threshold, photo)


def get_product(store: StoreInfo, code) -> Product:
    """The store's active product with this code, with its photos. Raises NotFound."""
    product = None
    if is_product_code(code) and len(code) <= MAX_CODE:
        product = db.session.scalar(
            select(Product).options(selectinload(Product.photos))
            .where(Product.store_id == store.id, Product.code == code,
                   Product.is_active.is_(True)))
    if product is None:
        raise NotFound(_("Produk tidak ditemukan."))
    return product


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
