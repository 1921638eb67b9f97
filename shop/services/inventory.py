"""Stock of products: reserved at checkout with a guarded update, returned on cancel."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import update

from ..errors import OutOfStock
from ..extensions import db
from ..models import Product

products = Product.__table__


def reserve_stock(wanted: Iterable[tuple[int, int, str]]) -> None:
    """Take qty of each (product id, qty, name), locking rows in id order. Raises OutOfStock.

    The `stock >= qty` guard and the CHECK constraint make a negative stock impossible;
    locking in a fixed order means two checkouts never deadlock each other.
    """
    short: list[str] = []
    for product_id, qty, name in sorted(wanted):
        stmt = (
            update(products)
            .where(products.c.id == product_id, products.c.stock >= qty)
            .values(stock=products.c.stock - qty)
        )
        if db.session.execute(stmt).rowcount != 1:
            short.append(name)
    if short:
        raise out_of_stock(short)


def out_of_stock(names: list[str]) -> OutOfStock:
    """The error listing every product that has too little stock."""
    return OutOfStock(
        "Stok tidak cukup untuk: " + ", ".join(names) + ".",
        fields={"items": "Stok tidak cukup: " + ", ".join(names)},
        items=names,
    )


def release_stock(returned: Iterable[tuple[int, int]]) -> None:
    """Give back qty of each (product id, qty) of products that track stock."""
    for product_id, qty in sorted(returned):
        db.session.execute(
            update(products)
            .where(products.c.id == product_id, products.c.stock.is_not(None))
            .values(stock=products.c.stock + qty)
        )
