"""Stock of products: reserved at checkout under row locks, returned on cancel."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, case, select, update

from ..errors import OutOfStock
from ..extensions import db
from ..models import Product

products = Product.__table__

#: Lock the stocked rows in id order, so two checkouts sharing products never deadlock.
#: FOR NO KEY UPDATE (key_share) is the lock an UPDATE of stock takes anyway; a plain FOR
#: UPDATE would also conflict with the KEY SHARE locks that inserting order items (foreign
#: key to products) takes, and two checkouts would deadlock on each other's items.
LOCK_STOCK = (
    select(products.c.id, products.c.stock)
    .where(products.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(products.c.id)
    .with_for_update(key_share=True)
)
RELEASE_STOCK = (
    update(products)
    .where(products.c.id == bindparam("b_id"), products.c.stock.is_not(None))
    .values(stock=products.c.stock + bindparam("b_qty"))
)


def reserve_stock(wanted: Iterable[tuple[int, int, str]]) -> None:
    """Take qty of each (product id, qty, name) in two statements whatever the number of
    lines: lock the rows in id order, then one guarded UPDATE. Raises OutOfStock.

    The `stock >= qty` guard and the CHECK constraint make a negative stock impossible.
    """
    needed: dict[int, int] = {}
    names: dict[int, str] = {}
    for product_id, qty, name in wanted:
        needed[product_id] = needed.get(product_id, 0) + qty
        names[product_id] = name
    if not needed:
        return
    connection = db.session.connection()
    have = dict(connection.execute(LOCK_STOCK, {"ids": sorted(needed)}).all())
    short = [names[pid] for pid, qty in needed.items() if have.get(pid) is None or have[pid] < qty]
    if short:
        raise out_of_stock(short)
    taken = case({pid: bindparam(f"q{pid}", qty) for pid, qty in needed.items()},
                 value=products.c.id)
    result = connection.execute(
        update(products)
        .where(products.c.id.in_(list(needed)), products.c.stock >= taken)
        .values(stock=products.c.stock - taken)
    )
    if result.rowcount != len(needed):  # cannot happen under the locks; refuse rather than guess
        raise out_of_stock([names[pid] for pid in needed])


def out_of_stock(names: list[str]) -> OutOfStock:
    """The error listing every product that has too little stock."""
    return OutOfStock(
        "Stok tidak cukup untuk: " + ", ".join(names) + ".",
        fields={"items": "Stok tidak cukup: " + ", ".join(names)},
        items=names,
    )


def release_stock(returned: Iterable[tuple[int, int]]) -> None:
    """Give back qty of each (product id, qty) of products that still track stock."""
    rows = [{"b_id": pid, "b_qty": qty} for pid, qty in sorted(returned)]
    if rows:
        db.session.connection().execute(RELEASE_STOCK, rows)
