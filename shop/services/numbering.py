"""Human-readable numbers from counters in the serials table, never duplicated."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text, update

from ..extensions import db
from ..models import Channel, Order, Serial, Store
from .inventory import hold_nothing, merge_wanted, out_of_stock, reserve_stock
from .sql import run_pipelined, upsert

serials = Serial.__table__
_SERIAL_UPSERTS: dict[str, object] = {}

def formatted_number(counter: str) -> str:
    """The one place an order's number is formatted: the prefix, then the counter padded
    with zeros to `:width` digits (more when it outgrows them). Plain SQL that PostgreSQL
    and SQLite both run, so the number is made where the counter is taken."""
    digits = f"CAST({counter} AS TEXT)"
    return (f"(:prefix || CASE WHEN length({digits}) >= :width THEN {digits} "
            f"ELSE substr('0000000000', 1, :width - length({digits})) || {digits} END)")


_NUMBER = formatted_number("counter.last_number")
#: The end of the PostgreSQL numbering statements: take the counter (the rows it may take
#: from are `{source}`) and number the order.
_NUMBERING_SQL = """
counter AS (
    INSERT INTO serials (name, period, last_number) {source}
    ON CONFLICT (name, period) DO UPDATE SET last_number = serials.last_number + 1
    RETURNING last_number
), numbered AS (
    UPDATE orders SET number = {number}
    FROM counter WHERE orders.id = :order_id
    RETURNING orders.number
)
"""
#: PostgreSQL: counter and number in one statement, so the hottest row lock of a checkout
#: lives one round trip.
_PG_NUMBERING = _NUMBERING_SQL.format(source="VALUES (:name, :period, 1)", number=_NUMBER)
NUMBER_ORDER_PG = text(
    "WITH " + _PG_NUMBERING + "SELECT number FROM numbered"  # noqa: S608 - constants only
)
#: Any database: take the next number of a counter, formatted (SQLite has RETURNING too).
NEXT_NUMBER = text(
    "INSERT INTO serials (name, period, last_number) VALUES (:name, :period, 1) "  # noqa: S608
    "ON CONFLICT (name, period) DO UPDATE SET last_number = serials.last_number + 1 "
    "RETURNING " + formatted_number("last_number")  # a constant fragment; values are bound
)
_RESERVE_AND_NUMBER: dict[int, object] = {}


def _reserve_and_number_pg(lines: int):
    """PostgreSQL: reserve stock of `lines` products, then take the counter and number the
    order, in one statement (built once per line count).

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
            source="SELECT :name, :period, 1 WHERE (SELECT count(*) FROM taken) = :lines",
            number=_NUMBER)
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
    return db.session.connection().execute(
        NEXT_NUMBER, {"name": name, "period": period, "prefix": prefix, "width": width}
    ).scalar_one()


def early_order_number(store: Store, channel: Channel, now: datetime) -> str | None:
    """The order's number taken up front where lock order buys nothing: SQLite queues whole
    write transactions (BEGIN IMMEDIATE). None elsewhere: there the counter is taken last,
    by assign_order_number()."""
    if db.session.connection().dialect.name == "sqlite":
        return next_order_number(store, channel, now)
    return None


def assign_order_number(
    store: Store, channel: Channel, now: datetime, *, order_id: str,
    reserve: list[tuple[int, int, str]] | None = None, then: list[tuple] | None = None,
) -> tuple[str, list]:
    """Number an order written with a placeholder number, after reserving `reserve`
    [(product id, qty, name)]: the rows every checkout contends for, meant as the last
    writes before commit. Returns the number and the rows of `then`, statements sent in the
    same round trip on PostgreSQL (and run after it: a lock the commit follows), which only
    a PostgreSQL caller gives. Raises OutOfStock."""
    name, period, prefix, width = order_counter(store, channel, now)
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        reserve_stock(reserve or [], order_id=order_id)
        number = next_order_number(store, channel, now)
        connection.execute(update(Order.__table__).where(Order.__table__.c.id == order_id)
                           .values(number=number))
        return number, []
    params = {"name": name, "period": period, "prefix": prefix, "width": width,
              "order_id": order_id}
    needed, names = merge_wanted(reserve or [])
    for n, (product_id, qty) in enumerate(needed.items()):
        params[f"p{n}"], params[f"q{n}"] = product_id, qty
    if needed:
        params.update(now=now, lines=len(needed))
    statement = _reserve_and_number_pg(len(needed)) if needed else NUMBER_ORDER_PG
    # One round trip for the rows every checkout contends for and what follows them: the
    # locks are held that much less long by each checkout the others wait for.
    (row, *_), *after = run_pipelined(connection, [(statement, params), *(then or [])])
    if not needed:
        return row[0], after
    number, reserved, untracked = row
    if number is None:
        raise out_of_stock([names[pid] for pid in needed if pid not in reserved])
    if untracked:
        hold_nothing(order_id, untracked)
    return number, after


def next_legacy_so_number(now: datetime, tz: str = "Asia/Jakarta") -> str:
    """The legacy ERP's sales-order number: YYYY/NNNNNN/POD-PD, counted per year."""
    if now.tzinfo is None:
        raise ValueError("naive datetime given; use shop.models.utcnow()")
    year = now.astimezone(ZoneInfo(tz)).strftime("%Y")
    return f"{year}/{next_serial('legacy-so', year):06d}/POD-PD"
