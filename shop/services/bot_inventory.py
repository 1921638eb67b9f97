"""Seed 002's check_inventory: the stock of one or several of the store's products right now,
and whether a wanted quantity can be ordered. A product is named by its code (KAOS-001) or,
since a customer names things by what they are called, by its exact name; an unknown or
inactive one is an entry with found false, not a refusal of the whole call."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select

from ..errors import InvalidInput
from ..extensions import db
from ..models import Product, Store
from .validation import MAX_QTY, is_clean_text

MAX_PRODUCTS = 20
#: Longest product code or name looked up (a name may be up to 200 characters).
MAX_REF = 200


@dataclass(frozen=True)
class StockLine:
    """One asked product: what was asked, and the product's stock if it was found."""

    query: str
    found: bool
    code: str | None = None
    name: str | None = None
    price: Decimal | None = None
    #: Units in stock; None when the store does not count this product's stock.
    quantity: int | None = None
    in_stock: bool = False
    low_stock: bool = False
    requested: int | None = None
    can_order: bool | None = None


def check_inventory(store: Store, refs: list[str], quantities: list[int] | None = None
                    ) -> list[StockLine]:
    """The stock of each asked product of the store, in the order asked (a quantity per
    product optional). Raises InvalidInput (no product, more than 20, quantities not one per
    product or not 1 to 1,000)."""
    wanted = clean_request(refs, quantities)
    products = find_products(store, [ref for ref, _ in wanted])
    return [stock_line(ref, products.get(ref), qty) for ref, qty in wanted]


def clean_request(refs, quantities) -> list[tuple[str, int | None]]:
    """(product reference, quantity or None) pairs. Raises InvalidInput."""
    if not isinstance(refs, list) or not 1 <= len(refs) <= MAX_PRODUCTS:
        raise InvalidInput(f"Sebutkan 1 sampai {MAX_PRODUCTS} produk.",
                           fields={"productIds": f"1 sampai {MAX_PRODUCTS} kode produk."})
    if quantities is not None and (not isinstance(quantities, list)
                                   or len(quantities) != len(refs)):
        raise InvalidInput("Jumlah harus satu per produk.",
                           fields={"quantities": "Harus sebanyak productIds."})
    wanted = []
    for index, ref in enumerate(refs):
        qty = quantities[index] if quantities is not None else None
        if qty is not None and (isinstance(qty, bool) or not isinstance(qty, int)
                                or not 1 <= qty <= MAX_QTY):
            raise InvalidInput(f"Jumlah harus 1 sampai {MAX_QTY}.",
                               fields={"quantities": f"Harus 1 sampai {MAX_QTY}."})
        text = ref.strip() if isinstance(ref, str) else ""
        if not text:
            raise InvalidInput("Kode produk wajib diisi.", fields={"productIds": "Wajib diisi."})
        wanted.append((text, qty))
    return wanted


def find_products(store: Store, refs: list[str]) -> dict[str, Product]:
    """The store's active products by the reference asked: the exact code, else the code
    or the name in any case (a name only when one product has it)."""
    usable = [r for r in dict.fromkeys(refs) if len(r) <= MAX_REF and is_clean_text(r)]
    if not usable:
        return {}
    lowered = [r.lower() for r in usable]
    candidates = list(db.session.scalars(select(Product).where(
        Product.store_id == store.id, Product.is_active.is_(True),
        or_(Product.code.in_(usable), func.lower(Product.code).in_(lowered),
            func.lower(Product.name).in_(lowered))).order_by(Product.id)))
    found = {}
    for ref in usable:
        found_one = (next((p for p in candidates if p.code == ref), None)
                     or next((p for p in candidates if p.code.lower() == ref.lower()), None))
        if found_one is None:
            named = [p for p in candidates if p.name.lower() == ref.lower()]
            found_one = named[0] if len(named) == 1 else None
        if found_one is not None:
            found[ref] = found_one
    return found


def stock_line(ref: str, product: Product | None, qty: int | None) -> StockLine:
    if product is None:
        return StockLine(query=ref, found=False, requested=qty,
                         can_order=False if qty is not None else None)
    tracked = product.stock is not None
    return StockLine(
        query=ref, found=True, code=product.code, name=product.name, price=product.price,
        quantity=product.stock, in_stock=not product.is_out_of_stock(),
        low_stock=product.is_low_on_stock(), requested=qty,
        can_order=None if qty is None else (not tracked or product.stock >= qty))
