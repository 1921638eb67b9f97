"""The parts a dealer shop browses in the B2B portal: search by name or part number,
category filter, pages, the shop's prices, and the stock read from the legacy ERP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, literal_column, select

from ..errors import NotFound
from ..extensions import db
from ..models import DealerPrice, Product, Shop
from ..models.catalog import SEARCH_TEXT
from .dealer_prices import dealer_unit_price
from .validation import clean_page_number, clean_text, page_count

PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000


@dataclass(frozen=True)
class PartView:
    product: Product
    #: The shop's price, and the list price it comes from.
    price: Decimal
    list_price: Decimal
    #: What the legacy ERP could sell when last read (None: unknown), and when.
    stock: int | None
    stock_synced_at: datetime | None

    @property
    def is_ready(self) -> bool:
        return self.stock is None or self.stock > 0


@dataclass(frozen=True)
class PartsPage:
    parts: list[PartView]
    total: int
    page: int
    per_page: int
    query: str | None
    category: str | None

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_parts(shop: Shop, *, query=None, category=None, page=None,
                 per_page=None) -> PartsPage:
    """The distributor's active parts whose part number or name contains the query (any
    case; a trigram index of the same expression serves it on PostgreSQL), in one category
    or all, by name."""
    text = clean_text(query, field="q", label="Pencarian", limit=100, multiline=False)
    group = clean_text(category, field="category", label="Kategori", limit=50,
                       multiline=False)
    page_no = clean_page_number(page, 1, MAX_PAGE)
    size = clean_page_number(per_page, PER_PAGE, MAX_PER_PAGE)
    where = [Product.store_id == shop.store_id, Product.is_active.is_(True)]
    if text:
        pattern = f"%{_escape_like(text.lower())}%"
        where.append(literal_column(SEARCH_TEXT).like(pattern, escape="\\"))
    if group:
        where.append(Product.category == group)
    # The page and the count of all matches in one statement: the matches are read once
    # (a word in a fifth of 50,000 parts: 17 ms for both, as for the page alone), and the
    # planner is not misled into a scan by a capped count's LIMIT (a word within a category:
    # 8 ms instead of 28, EXPLAIN ANALYZE on bench/b2b_portal.py's data).
    rows = db.session.execute(
        _with_own_price(shop, select(Product)).add_columns(func.count().over())
        .where(*where).order_by(Product.name, Product.id)
        .offset((page_no - 1) * size).limit(size)).all()
    if rows:
        total = rows[0][-1]
    else:  # no row to carry the count: none at all, or a page past the last
        total = db.session.scalar(select(func.count()).select_from(Product).where(*where)) \
            if page_no > 1 else 0
    return PartsPage([_view(shop, product, own) for product, own, _ in rows], total, page_no,
                     size, text, group)


def _with_own_price(shop: Shop, query):
    """The query with the shop's own price of each product beside it (None: it has none),
    so the page needs no statement of its own for prices."""
    return query.add_columns(DealerPrice.price).outerjoin(
        DealerPrice, and_(DealerPrice.product_id == Product.id, DealerPrice.shop_id == shop.id))


def _view(shop: Shop, product: Product, own_price) -> PartView:
    return PartView(product, dealer_unit_price(product.price, shop.discount_percent, own_price),
                    product.price, product.legacy_stock, product.stock_synced_at)


def part_categories(shop: Shop) -> list[str]:
    """The categories of the distributor's active parts, for the filter."""
    return list(db.session.scalars(
        select(Product.category).where(Product.store_id == shop.store_id,
                                       Product.is_active.is_(True),
                                       Product.category.is_not(None))
        .distinct().order_by(Product.category)))


def shop_product(shop: Shop, product_id) -> Product:
    """An active product of the shop's distributor (ids of other stores' products, inactive
    ones and non-numbers are all not found). Raises NotFound."""
    product = (db.session.get(Product, product_id)
               if isinstance(product_id, int) and not isinstance(product_id, bool) else None)
    if product is None or product.store_id != shop.store_id or not product.is_active:
        raise NotFound("Produk tidak ditemukan.")
    return product


def get_part(shop: Shop, product_id) -> PartView:
    """One active part of the shop's distributor at the shop's price (one statement).
    Raises NotFound."""
    row = None
    if isinstance(product_id, int) and not isinstance(product_id, bool):
        row = db.session.execute(_with_own_price(shop, select(Product)).where(
            Product.id == product_id, Product.store_id == shop.store_id,
            Product.is_active.is_(True))).first()
    if row is None:
        raise NotFound("Produk tidak ditemukan.")
    return _view(shop, *row)
