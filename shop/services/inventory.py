"""Stock of products: reserved at checkout under row locks, returned on cancel."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, case, or_, select, update

from ..errors import OutOfStock
from ..extensions import db
from ..models import OrderItem, Product
from ..template_i18n import gettext as _

products = Product.__table__

RELEASE_STOCK = (
    update(products)
    .where(products.c.id == bindparam("b_id"), products.c.stock.is_not(None))
    .values(stock=products.c.stock + bindparam("b_qty"))
)
_RESERVE: dict[int, object] = {}


def _reserve_statement(lines: int):
    """UPDATE products SET stock = stock - qty for `lines` products in one statement, built
    once per line count. The rows are locked by a sub-select in id order, so two checkouts
    sharing products never deadlock. FOR NO KEY UPDATE (key_share) is the lock an UPDATE of
    stock takes anyway; a plain FOR UPDATE would also conflict with the KEY SHARE locks that
    inserting order items (foreign key to products) takes, and checkouts would deadlock on
    each other's items."""
    if lines not in _RESERVE:
        ids = [bindparam(f"p{n}") for n in range(lines)]
        locked = (
            select(products.c.id).where(products.c.id.in_(ids)).order_by(products.c.id)
            .with_for_update(key_share=True).subquery("locked")
        )
        taken = case(*[(products.c.id == ids[n], bindparam(f"q{n}")) for n in range(lines)])
        _RESERVE[lines] = (
            update(products)
            .where(products.c.id == locked.c.id,
                   or_(products.c.stock.is_(None), products.c.stock >= taken))
            .values(stock=products.c.stock - taken)
            .returning(products.c.id, products.c.stock)
        )
    return _RESERVE[lines]


def reserve_stock(wanted: Iterable[tuple[int, int, str]], *, order_id: str | None = None) -> None:
    """Take qty of each (product id, qty, name) in one statement, whatever the number of
    lines. Raises OutOfStock naming every product that has too little.

    The `stock >= qty` guard and the CHECK constraint make a negative stock impossible. A
    product that stopped tracking stock meanwhile (NULL) is unlimited; the order's lines of
    it are then marked as holding nothing.
    """
    needed, names = merge_wanted(wanted)
    if not needed:
        return
    params = {}
    for n, (product_id, qty) in enumerate(needed.items()):
        params[f"p{n}"], params[f"q{n}"] = product_id, qty
    rows = db.session.connection().execute(_reserve_statement(len(needed)), params).all()
    short = [names[pid] for pid in needed if pid not in {row.id for row in rows}]
    if short:
        raise out_of_stock(short)
    untracked = [row.id for row in rows if row.stock is None]
    if untracked and order_id:
        hold_nothing(order_id, untracked)


def hold_nothing(order_id: str, product_ids: list[int]) -> None:
    """Record that the order's lines of these products took nothing from stock."""
    items = OrderItem.__table__
    db.session.connection().execute(
        update(items).where(items.c.order_id == order_id, items.c.product_id.in_(product_ids))
        .values(reserved_qty=0))


def lock_products(product_ids: list[int]) -> None:
    """Lock these product rows in id order (FOR NO KEY UPDATE, as a stock update would)."""
    if product_ids:
        db.session.connection().execute(
            select(products.c.id).where(products.c.id.in_(sorted(product_ids)))
            .order_by(products.c.id).with_for_update(key_share=True)
        ).all()


def merge_wanted(wanted: Iterable[tuple[int, int, str]]) -> tuple[dict[int, int], dict]:
    """Quantities per product id (a product twice counts as its sum), and the names."""
    needed: dict[int, int] = {}
    names: dict[int, str] = {}
    for product_id, qty, name in wanted:
        needed[product_id] = needed.get(product_id, 0) + qty
        names[product_id] = name
    return needed, names


def out_of_stock(names: list[str]) -> OutOfStock:
    """The error listing every product that has too little stock."""
    return OutOfStock(
        _("Stok tidak cukup untuk: %(names)s.", names=", ".join(names)),
        fields={"items": _("Stok tidak cukup: %(names)s", names=", ".join(names))},
        items=names,
    )


def release_stock(returned: Iterable[tuple[int, int]]) -> None:
    """Give back qty of each (product id, qty) of products that still track stock."""
    rows = [{"b_id": pid, "b_qty": qty} for pid, qty in sorted(returned)]
    if rows:
        db.session.connection().execute(RELEASE_STOCK, rows)
