"""A dealer shop's cart (seed 004): one per shop, kept in the database, shown and checked
out at the shop's prices of the moment. Every lookup is scoped to the shop, so another
shop's item ids are simply not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, func, select

from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..models import Cart, CartItem, Channel, Order, OrderItem, Product, Shop, utcnow
from .checkout import CheckoutRequest, PlacedOrder, place_order
from .dealer_catalog import shop_product
from .dealer_prices import shop_prices
from .sql import upsert
from .validation import MAX_LINES, MAX_QTY, clean_quantity


@dataclass(frozen=True)
class CartLine:
    item_id: int
    product_id: int
    code: str
    name: str
    category: str | None
    qty: int
    unit_price: Decimal
    list_price: Decimal
    subtotal: Decimal
    #: What the legacy ERP can sell, as last synced (None: not known), and when.
    stock: int | None
    stock_synced_at: datetime | None
    is_active: bool

    @property
    def over_stock(self) -> bool:
        return self.stock is not None and self.qty > self.stock


@dataclass(frozen=True)
class CartView:
    lines: list[CartLine]
    total: Decimal
    #: Units in the cart (the badge), and distinct parts.
    qty: int

    @property
    def can_check_out(self) -> bool:
        return bool(self.lines) and all(ln.is_active and not ln.over_stock for ln in self.lines)


def _cart_id(shop: Shop, *, create: bool) -> int | None:
    """The shop's cart id; made on first use (one statement, safe under parallel adds)."""
    if create:  # made or touched, and its id, in one statement
        now = utcnow()
        statement = upsert(Cart).values(shop_id=shop.id, created_at=now, updated_at=now)
        return db.session.execute(statement.on_conflict_do_update(
            index_elements=["shop_id"], set_={"updated_at": now}).returning(Cart.id)).scalar_one()
    return db.session.scalar(select(Cart.id).where(Cart.shop_id == shop.id))


def _check_stock(product: Product, qty: int) -> None:
    if product.legacy_stock is not None and qty > product.legacy_stock:
        raise InvalidInput(
            f"Stok {product.name} tinggal {product.legacy_stock}.",
            fields={"qty": f"Maksimal {product.legacy_stock}."})


def add_to_cart(shop: Shop, product_id, qty) -> CartItem:
    """Put a part in the shop's cart, or add to its quantity there (at most 1,000 in all and
    within the synced stock). Raises NotFound or InvalidInput."""
    qty = clean_quantity(qty)
    product = shop_product(shop, product_id)
    cart_id = _cart_id(shop, create=True)
    current = db.session.scalar(select(CartItem).where(
        CartItem.cart_id == cart_id, CartItem.product_id == product.id).with_for_update())
    if current is None:
        lines = db.session.scalar(select(func.count()).where(CartItem.cart_id == cart_id))
        if lines >= MAX_LINES:
            raise InvalidInput(f"Keranjang paling banyak {MAX_LINES} produk.",
                               fields={"product_id": "Keranjang penuh."})
    total = qty + (current.qty if current else 0)
    if total > MAX_QTY:
        raise InvalidInput(f"Jumlah di keranjang paling banyak {MAX_QTY}.",
                           fields={"qty": f"Maksimal {MAX_QTY} per produk."})
    _check_stock(product, total)
    now = utcnow()
    statement = upsert(CartItem).values(cart_id=cart_id, product_id=product.id, qty=qty,
                                        created_at=now, updated_at=now)
    item_id = db.session.execute(statement.on_conflict_do_update(
        index_elements=["cart_id", "product_id"],
        set_={"qty": CartItem.__table__.c.qty + statement.excluded.qty, "updated_at": now}
    ).returning(CartItem.id)).scalar_one()
    if current is not None:  # the row changed under the session: read it again
        db.session.expire(current)
        return current
    return db.session.get(CartItem, item_id)


def _own_item(shop: Shop, item_id) -> CartItem:
    """An item of this shop's cart. Raises NotFound (also for another shop's item)."""
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        raise NotFound("Item keranjang tidak ditemukan.")
    item = db.session.scalar(select(CartItem).join(Cart).where(
        CartItem.id == item_id, Cart.shop_id == shop.id))
    if item is None:
        raise NotFound("Item keranjang tidak ditemukan.")
    return item


def set_cart_qty(shop: Shop, item_id, qty) -> CartItem:
    """Change an item's quantity (1 to 1,000, within the synced stock). Raises NotFound or
    InvalidInput."""
    qty = clean_quantity(qty)
    item = _own_item(shop, item_id)
    _check_stock(item.product, qty)
    item.qty = qty
    db.session.flush()
    return item


def remove_cart_item(shop: Shop, item_id) -> None:
    """Take an item out of the shop's cart. Raises NotFound."""
    db.session.delete(_own_item(shop, item_id))
    db.session.flush()


def clear_cart(shop: Shop) -> int:
    """Empty the shop's cart; how many items were in it."""
    cart_id = _cart_id(shop, create=False)
    if cart_id is None:
        return 0
    return db.session.execute(delete(CartItem).where(CartItem.cart_id == cart_id)).rowcount


def cart_count(shop: Shop) -> int:
    """Units in the shop's cart (the badge of every page), in one statement."""
    return db.session.scalar(select(func.coalesce(func.sum(CartItem.qty), 0)).join(Cart)
                             .where(Cart.shop_id == shop.id))


def view_cart(shop: Shop) -> CartView:
    """The shop's cart at its prices of the moment, with the synced stock of each part."""
    rows = db.session.execute(
        select(CartItem, Product).join(Cart).join(Product, Product.id == CartItem.product_id)
        .where(Cart.shop_id == shop.id).order_by(CartItem.id)).all()
    prices = shop_prices(shop, [product for _, product in rows])
    lines = [CartLine(
        item_id=item.id, product_id=product.id, code=product.code, name=product.name,
        category=product.category, qty=item.qty, unit_price=prices[product.id],
        list_price=product.price, subtotal=prices[product.id] * item.qty,
        stock=product.legacy_stock, stock_synced_at=product.stock_synced_at,
        is_active=product.is_active) for item, product in rows]
    return CartView(lines, sum((ln.subtotal for ln in lines), Decimal("0.00")),
                    sum(ln.qty for ln in lines))


def checkout_cart(shop: Shop, *, notes: str | None, idempotency_key: str | None,
                  base_url: str, locale: str = "id") -> PlacedOrder:
    """Place the shop's cart as a B2B order (PENDING, ORD-YYYY-NNNNNN) and empty the cart.
    A repeated key returns the first order. Raises InvalidInput, OutOfStock or NotAllowed."""
    view = view_cart(shop)
    placed = place_order(shop.store, CheckoutRequest(
        name=None, phone=None, address=None, items=[(ln.code, ln.qty) for ln in view.lines],
        notes=notes, idempotency_key=idempotency_key, channel=Channel.B2B,
        actor=f"shop:{shop.code}", locale=locale, shop=shop), base_url=base_url)
    if placed.created:
        clear_cart(shop)
    return placed


def reorder(shop: Shop, order: Order) -> list[str]:
    """Put a past order's parts back in the shop's cart (added to what is there); the names
    of the parts that can no longer be ordered. Raises NotFound for another shop's order."""
    if order.shop_id != shop.id:
        raise NotFound("Pesanan tidak ditemukan.")
    skipped = []
    items = db.session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)
                               .order_by(OrderItem.id)).all()
    for item in items:
        try:
            with db.session.begin_nested():
                add_to_cart(shop, item.product_id, item.qty)
        except (NotFound, InvalidInput):
            skipped.append(item.name)
    return skipped
