"""The shopper's cart: a small {code: qty} mapping kept in the signed session cookie."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, select

from ..errors import InvalidInput
from ..models import Product, Store
from ..template_i18n import gettext as _
from .process_cache import process_cache
from .sql import AnyOf, DriverQuery
from .validation import MAX_LINES, clean_quantity, is_product_code, is_quantity


@dataclass(frozen=True)
class CartLine:
    #: The product (an entity, or a row of its code, name, price, stock and state).
    product: Product
    qty: int

    @property
    def subtotal(self) -> Decimal:
        return self.product.price * self.qty


@dataclass(frozen=True)
class CartView:
    """The cart priced from the database, with lines that can no longer be bought."""

    lines: list[CartLine]
    #: Codes in the cart that can no longer be bought, and their names for the shopper.
    unavailable: list[str]
    unavailable_names: list[str]

    @property
    def count(self) -> int:
        return sum(line.qty for line in self.lines)

    @property
    def total(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), Decimal("0"))


def read_cart(raw) -> dict[str, int]:
    """The lines of a cart as the session holds it that a cart can hold (a clean product code,
    a quantity from 1 to 1,000), at most MAX_LINES of them; anything else is dropped.

    The cookie is signed, yet what it holds may have been written by an older version of the
    app (or with a leaked key); it is read on every store page, which a bad line must not
    break."""
    if not isinstance(raw, dict):
        return {}
    lines = [(code, qty) for code, qty in raw.items() if is_product_code(code) and is_quantity(qty)]
    return dict(lines[:MAX_LINES])


def change_cart(store: Store, cart: dict[str, int], action: str, code: str, qty) -> dict:
    """Apply one cart form: "add" (qty defaults to 1; 0 is refused), "set" (0 removes) or
    "remove". Raises InvalidInput or OutOfStock."""
    if action == "remove":
        return remove_from_cart(cart, code)
    if action == "set":
        return set_cart_quantity(store, cart, code, qty)
    return add_to_cart(store, cart, code, 1 if qty is None else qty)


def without_unavailable(cart: dict[str, int], view: CartView) -> dict[str, int]:
    """The cart without the lines that can no longer be bought."""
    return {code: qty for code, qty in cart.items() if code not in view.unavailable}


def add_to_cart(store: Store, cart: dict[str, int], code: str, qty) -> dict[str, int]:
    """Add qty of a product that can be bought now. Raises InvalidInput or OutOfStock."""
    amount = clean_quantity(qty)
    product = _for_sale(store, code) if is_product_code(code) else None
    if product is None or not product.is_active:
        raise InvalidInput(_("Produk tidak tersedia."),
                           fields={"code": _("Produk tidak tersedia.")})
    new_qty = clean_quantity(cart.get(code, 0) + amount)
    _check_stock(product, new_qty)
    if code not in cart and len(cart) >= MAX_LINES:
        raise InvalidInput(_("Maksimal %(max)s produk per pesanan.", max=MAX_LINES))
    return {**cart, code: new_qty}


def set_cart_quantity(store: Store, cart: dict[str, int], code: str, qty) -> dict[str, int]:
    """Change a line's quantity; 0 removes it. Raises InvalidInput or OutOfStock."""
    if code not in cart:
        raise InvalidInput(_("Produk tidak ada di keranjang."))
    if str(qty).strip() == "0":
        return remove_from_cart(cart, code)
    new_qty = clean_quantity(qty)
    product = _for_sale(store, code)
    if product is not None:
        _check_stock(product, new_qty)
    return {**cart, code: new_qty}


#: What the cart page shows of its products: code, name, price, stock, state.
_CART_PRODUCTS = AnyOf(select(
    Product.code, Product.name, Product.price, Product.stock, Product.is_active,
).where(Product.store_id == bindparam("store_id")), Product.code, "codes", named=True)


def _cart_products(store, cart) -> dict:
    """What the cart page shows of its products (code, name, price, stock, state), by code,
    in one small query: rows, not entities, which cost a fifth of the checkout page."""
    if not cart:
        return {}
    return {row.code: row
            for row in _CART_PRODUCTS.all({"store_id": store.id, "codes": list(cart)})}


_FOR_SALE = DriverQuery(select(Product.name, Product.stock, Product.is_active).where(
    Product.store_id == bindparam("store_id"), Product.code == bindparam("code")), named=True)


def _for_sale(store, code: str):
    """What a cart form checks of a product, read fresh (the stock moves with every
    checkout): its name, stock and whether it is sold; None for an unknown code."""
    return _FOR_SALE.first({"store_id": store.id, "code": code})


def remove_from_cart(cart: dict[str, int], code: str) -> dict[str, int]:
    """The cart without this product."""
    return {c: q for c, q in cart.items() if c != code}


def view_cart(store: Store, cart: dict[str, int], catalog: list[Product] | None = None) -> CartView:
    """Price the cart from the database (or the already loaded catalog)."""
    found = {p.code: p for p in catalog} if catalog is not None else _cart_products(store, cart)
    lines, unavailable, names = [], [], []
    for code, qty in cart.items():
        product = found.get(code)
        if product is None or not product.is_active:
            unavailable.append(code)
            names.append(product.name if product is not None else code)
        else:
            lines.append(CartLine(product, qty))
    return CartView(lines, unavailable, names)


@dataclass(frozen=True)
class CartTotals:
    """What the header and the cart bar show: the units and the total of what can be bought."""

    count: int
    total: Decimal


#: Prices kept per process, by store, catalog version and code.
PRICE_CACHE_SIZE = 8192


def cart_totals(store, cart: dict[str, int]) -> CartTotals:
    """The cart's units and total at the store's current prices, without the lines that can
    no longer be bought (as view_cart counts them). A price is read from the database once
    per catalog version: a change of price or of a product's state raises the version
    (models/catalog.py), so a kept price is never an old one."""
    if not cart:
        return CartTotals(0, Decimal("0"))
    prices = process_cache("prices", PRICE_CACHE_SIZE)
    version = (store.id, store.catalog_version)
    found = {code: prices.get((*version, code)) for code in cart}
    missing = [code for code, price in found.items() if price is None]
    if missing:
        rows = _cart_products(store, missing)
        for code in missing:
            row = rows.get(code)
            found[code] = row.price if row is not None and row.is_active else False  # not sold
            prices.put((*version, code), found[code])
    lines = [(found[code], qty) for code, qty in cart.items() if found[code] is not False]
    return CartTotals(sum(qty for _price, qty in lines),
                      sum((price * qty for price, qty in lines), Decimal("0")))


def _check_stock(product: Product, qty: int) -> None:
    if product.stock is not None and product.stock < qty:
        from .inventory import out_of_stock

        if product.stock <= 0:
            raise out_of_stock([product.name])
        raise InvalidInput(
            _("Stok %(name)s tinggal %(stock)s.", name=product.name, stock=product.stock),
            fields={"qty": _("Maksimal %(max)s.", max=product.stock)},
        )
