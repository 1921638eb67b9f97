"""The storefront's catalog as shoppers browse it: one page of a store's active products,
filtered by a search text and a category, with their photos and the store's categories; and
one product's page. A page costs the same few statements whatever the store holds (the
products with their count, their main photos and the categories in one query)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from sqlalchemy import Integer, Text, bindparam, func, or_, select
from sqlalchemy.orm import selectinload

from ..errors import NotFound
from ..extensions import db
from ..models import Billing, Product, ProductPhoto
from ..template_i18n import gettext as _
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


def _categories_of(store_id):
    return (select(Product.category).distinct()
            .where(Product.store_id == store_id, Product.is_active.is_(True),
                   Product.category.is_not(None), Product.category != ""))


def list_categories(store: StoreInfo) -> list[str]:
    """The categories of the store's active products, by name."""
    return list(db.session.scalars(_categories_of(store.id).order_by(Product.category)))


@cache
def _page_query(dialect: str, by_category: bool, by_search: bool):
    """One statement for the grid, built once per kind of page and then only executed (its
    parameters: store_id, category, pattern, offset): the page of products (their count
    over the filtered rows on each), each one's main photo looked up for that page only, and
    the store's categories aggregated once (json_agg on PostgreSQL, json_group_array on
    SQLite). Building it took as long as running it (bench/store_page.py)."""
    conditions = [Product.store_id == bindparam("store_id"), Product.is_active.is_(True)]
    if by_category:
        conditions.append(Product.category == bindparam("category"))
    if by_search:
        pattern = bindparam("pattern")
        conditions.append(or_(*(func.lower(column).like(pattern, escape="\\") for column in
                                (Product.code, Product.name, Product.description))))
    page = (select(*CARD_COLUMNS, func.count().over().label("total")).where(*conditions)
            .order_by(Product.category, Product.name, Product.id)
            .limit(PAGE_SIZE).offset(bindparam("offset", type_=Integer)).subquery("page"))
    first_photo = (select(ProductPhoto.id).where(ProductPhoto.product_id == page.c.id)
                   .order_by(ProductPhoto.position, ProductPhoto.id).limit(1)
                   .correlate(page).scalar_subquery())
    names = _categories_of(bindparam("store_id")).subquery("names")
    # As text on every row (a decoded JSON value costs its decoding on each): read once.
    categories = select(func.json_agg(names.c.category).cast(Text) if dialect == "postgresql"
                        else func.json_group_array(names.c.category)).scalar_subquery()
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
    params = {"store_id": store.id, "offset": (number - 1) * PAGE_SIZE}
    if category is not None:
        params["category"] = category[:50]
    if search:
        params["pattern"] = "%" + _escape_like(search.lower()) + "%"
    connection = db.session.connection()
    statement = _page_query(connection.dialect.name, category is not None, bool(search))
    rows = connection.execute(statement, params).all()
    total = rows[0].total if rows else 0
    # An empty page (nothing found) has no row to carry the categories: one more statement.
    categories = sorted(c for c in _json_list(rows[0].categories) if c) if rows \
        else list_categories(store)
    return CatalogPage(products=[_card(row) for row in rows], categories=categories,
                       total=total, page=number, pages=page_count(total, PAGE_SIZE),
                       search=search, category=category)


def _json_list(value) -> list:
    """An aggregated JSON array, as text; none is null."""
    return json.loads(value) if value is not None else []


def _card(row) -> CardProduct:
    # By position (CARD_COLUMNS, the count, the photo's three): a third of the cost by name.
    *values, _total, filename, width, height, _categories = row
    return CardProduct(*values, CardPhoto(filename, width, height) if filename else None)


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
