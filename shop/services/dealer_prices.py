"""What a dealer shop pays: a price of its own for a product, else the list price less the
shop's discount percentage, rounded to the rupiah. The cart, the order and the SO detail all
take the price from here."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import delete, select

from ..errors import InvalidInput, NotAllowed
from ..extensions import db
from ..models import DealerPrice, Product, Shop
from .money import CENT, to_money

HUNDRED = Decimal("100")
RUPIAH = Decimal("1")


def dealer_unit_price(list_price: Decimal, discount_percent: Decimal | None,
                      own_price: Decimal | None) -> Decimal:
    """The shop's price of one unit: its own price when it has one, else the list price less
    its discount, rounded half up to the rupiah."""
    if own_price is not None:
        return Decimal(own_price).quantize(CENT)
    percent = Decimal(discount_percent or 0)
    if not percent:
        return Decimal(list_price).quantize(CENT)
    return (Decimal(list_price) * (HUNDRED - percent) / HUNDRED).quantize(
        RUPIAH, rounding=ROUND_HALF_UP).quantize(CENT)


def shop_prices(shop: Shop, products: Iterable[Product]) -> dict[int, Decimal]:
    """The shop's unit price of each product, by product id (one query for its own prices)."""
    products = list(products)
    own = {row.product_id: row.price for row in db.session.execute(
        select(DealerPrice.product_id, DealerPrice.price).where(
            DealerPrice.shop_id == shop.id,
            DealerPrice.product_id.in_([p.id for p in products])))} if products else {}
    return {p.id: dealer_unit_price(p.price, shop.discount_percent, own.get(p.id))
            for p in products}


def clean_discount_percent(raw) -> Decimal:
    """0 to 99.99 percent, two decimals; empty is 0. Raises InvalidInput."""
    text = str(raw if raw is not None else "").strip().replace(",", ".").rstrip("%").strip()
    try:
        value = Decimal(text or "0")
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not (0 <= value < HUNDRED) or value != value.quantize(CENT):
        raise InvalidInput("Diskon harus 0 sampai 99,99 persen.",
                           fields={"discount_percent": "0 sampai 99,99."})
    return value.quantize(CENT)


def set_shop_discount(shop: Shop, raw) -> Shop:
    """Give the shop a discount percentage off list prices. Raises InvalidInput."""
    shop.discount_percent = clean_discount_percent(raw)
    db.session.flush()
    return shop


def set_dealer_price(shop: Shop, product: Product, raw) -> DealerPrice | None:
    """Give the shop its own price for a product of its distributor; empty removes it (the
    discount applies again). Raises InvalidInput or NotAllowed."""
    if product.store_id != shop.store_id:
        raise NotAllowed("Produk ini bukan milik distributor toko ini.")
    text = str(raw if raw is not None else "").strip()
    if not text:
        db.session.execute(delete(DealerPrice).where(DealerPrice.shop_id == shop.id,
                                                     DealerPrice.product_id == product.id))
        return None
    price = to_money(text, field="price", label="Harga dealer")
    row = db.session.scalar(select(DealerPrice).where(
        DealerPrice.shop_id == shop.id, DealerPrice.product_id == product.id))
    if row is None:
        row = DealerPrice(shop_id=shop.id, product_id=product.id, price=price)
        db.session.add(row)
    else:
        row.price = price
    db.session.flush()
    return row
