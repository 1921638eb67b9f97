"""Human-readable numbers from counters in the serials table, never duplicated."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, text, update

from ..extensions import db
from ..models import Channel, Notification, Order, Serial, Store
from .inventory import hold_nothing, merge_wanted, out_of_stock, reserve_stock
from .sql import upsert

serials = Serial.__table__
_SERIAL_UPSERTS: dict[str, object] = {}

#: The end of the PostgreSQL numbering statements: take the counter (the rows it may take
#: from are `{source}`), number the order, put the number into its queued messages.
_NUMBERING_SQL = """
counter AS (
    INSERT INTO serials (name, period, last_number) {source}
    ON CONFLICT (name, period) DO UPDATE SET last_number = serials.last_number + 1
    RETURNING last_number
), numbered AS (
    UPDATE orders
    SET number = :prefix || lpad(counter.last_number::text,
                                 greatest(:width, length(counter.last_number::text)), '0')
    FROM counter WHERE orders.id = :order_id
    RETURNING orders.number
), filled AS (
    UPDATE notifications
    SET body = replace(body, :placeholder, numbered.number)
    FROM numbered WHERE notifications.order_id = :order_id
)
"""
#: PostgreSQL: counter, number and messages in one statement, so the hottest row lock of a
#: checkout lives one round trip.
NUMBER_ORDER_PG = text(
    "WITH " + _NUMBERING_SQL.format(source="VALUES (:name, :period, 1)")  # noqa: S608
    + "SELECT number FROM numbered"  # (a constant fragment; every value is bound)
)
_RESERVE_AND_NUMBER: dict[int, object] = {}


def _reserve_and_number_pg(lines: int):
    """PostgreSQL: reserve stock of `lines` products, then take the counter, number the order
    and fill its messages, in one statement (built once per line count).

    Lock order is fixed by data dependency, not by luck: `locked` takes the product rows in
    id order, and the counter's INSERT selects from the stock update's result, so it cannot
    run before the products are locked. When any product lacks stock, the counter is left
    alone and `reserved` tells which products were taken (the caller then rolls back). A
    product that stopped tracking stock since the price was read is unlimited: it counts as
    taken, its stock stays NULL, and `untracked` names it.
    """
    if lines not in _RESERVE_AND_NUMBER:
        ids = ", ".join(f":p{n}" for n in range(lines))
        wanted = ", ".join(f"(CAST(:p{n} AS integer), CAST(:q{n} AS integer))"
                           for n in range(lines))
        numbering = _NUMBERING_SQL.format(
            source="SELECT :name, :period, 1 WHERE (SELECT count(*) FROM taken) = :lines")
        _RESERVE_AND_NUMBER[lines] = text(f"""
WITH locked AS (
    SELECT id FROM products WHERE id IN ({ids}) ORDER BY id FOR NO KEY UPDATE
), taken AS (
    UPDATE products SET stock = products.stock - wanted.qty, updated_at = :now
    FROM locked JOIN (VALUES {wanted}) AS wanted (id, qty) ON wanted.id = locked.id
    WHERE products.id = locked.id
      AND (products.stock IS NULL OR products.stock >= wanted.qty)
    RETURNING products.id, products.stock IS NULL AS untracked
), {numbering}
SELECT (SELECT number FROM numbered) AS number, ARRAY(SELECT id FROM taken) AS reserved,
       ARRAY(SELECT id FROM taken WHERE untracked) AS untracked
""")  # noqa: S608 - only generated parameter names are formatted in; values are bound
    return _RESERVE_AND_NUMBER[lines]


SET_ORDER_NUMBER = (
    update(Order.__table__).where(Order.__table__.c.id == bindparam("b_order_id"))
    .values(number=bindparam("b_number"))
)
FILL_MESSAGES = (
    update(Notification.__table__)
    .where(Notification.__table__.c.order_id == bindparam("b_order_id"))
    .values(body=func.replace(Notification.__table__.c.body, bindparam("b_placeholder"),
                              bindparam("b_number")))
)


def next_serial(name: str, period: str) -> int:
    """Take the next number of a counter in one atomic statement (row lock until commit)."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in _SERIAL_UPSERTS:
        stmt = upsert(Serial)
        _SERIAL_UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=["name", "period"], set_={"last_number": serials.c.last_number + 1},
        ).returning(serials.c.last_number)
    return db.session.connection().execute(
        _SERIAL_UPSERTS[dialect], {"name": name, "period": period, "last_number": 1}
    ).scalar_one()


def store_local_time(store: Store, when: datetime) -> datetime:
    """The moment as the store's clock shows it. Raises ValueError for a naive datetime."""
    if when.tzinfo is None:
        raise ValueError("naive datetime given; use shop.models.utcnow()")
    return when.astimezone(ZoneInfo(store.timezone))


def order_counter(store: Store, channel: Channel, now: datetime) -> tuple[str, str, str, int]:
    """(counter name, period, number prefix, digits): daily per store day for B2C channels,
    yearly for B2B."""
    local = store_local_time(store, now)
    if channel == Channel.B2B:
        year = local.strftime("%Y")
        return f"b2b-order:{store.id}", year, f"ORD-{year}-", 6
    day = local.strftime("%Y%m%d")
    return f"order:{store.id}", day, f"ORD-{day}-", 3


def next_order_number(store: Store, channel: Channel, now: datetime) -> str:
    """ORD-YYYYMMDD-NNN per store day (B2C) or ORD-YYYY-NNNNNN per store year (B2B)."""
    name, period, prefix, width = order_counter(store, channel, now)
    return f"{prefix}{next_serial(name, period):0{width}d}"


def early_order_number(store: Store, channel: Channel, now: datetime) -> str | None:
    """The order's number taken up front where lock order buys nothing: SQLite queues whole
    write transactions (BEGIN IMMEDIATE). None elsewhere: there the counter is taken last,
    by assign_order_number()."""
    if db.session.connection().dialect.name == "sqlite":
        return next_order_number(store, channel, now)
    return None


def assign_order_number(
    store: Store, channel: Channel, now: datetime, *, order_id: str, placeholder: str,
    reserve: list[tuple[int, int, str]] | None = None,
) -> str:
    """Number an order written with a placeholder number and fill the number into the
    messages queued for it, after reserving `reserve` [(product id, qty, name)]: the rows
    every checkout contends for, meant as the last writes before commit. Raises OutOfStock.
    """
    name, period, prefix, width = order_counter(store, channel, now)
    connection = db.session.connection()
    params = {"name": name, "period": period, "prefix": prefix, "width": width,
              "order_id": order_id, "placeholder": placeholder}
    if connection.dialect.name != "postgresql":
        reserve_stock(reserve or [], order_id=order_id)
        number = f"{prefix}{next_serial(name, period):0{width}d}"
        params = {"b_order_id": order_id, "b_number": number, "b_placeholder": placeholder}
        connection.execute(SET_ORDER_NUMBER, params)
        connection.execute(FILL_MESSAGES, params)
        return number
    if not reserve:
        return connection.execute(NUMBER_ORDER_PG, params).scalar_one()
    needed, names = merge_wanted(reserve)
    for n, (product_id, qty) in enumerate(needed.items()):
        params[f"p{n}"], params[f"q{n}"] = product_id, qty
    params.update(now=now, lines=len(needed))
    row = connection.execute(_reserve_and_number_pg(len(needed)), params).one()
    if row.number is None:
        raise out_of_stock([names[pid] for pid in needed if pid not in row.reserved])
    if row.untracked:
        hold_nothing(order_id, row.untracked)
    return row.number


def next_legacy_so_number(now: datetime, tz: str = "Asia/Jakarta") -> str:
    """The legacy ERP's sales-order number: YYYY/NNNNNN/POD-PD, counted per year."""
    if now.tzinfo is None:
        raise ValueError("naive datetime given; use shop.models.utcnow()")
    year = now.astimezone(ZoneInfo(tz)).strftime("%Y")
    return f"{year}/{next_serial('legacy-so', year):06d}/POD-PD"
