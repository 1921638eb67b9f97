"""Writing a new order's rows (the order, its items, its created event and its outbox
messages) in as few statements as the database allows: one on PostgreSQL, one per table on
SQLite. Rows are plain dicts with every column of their table except the row id."""

from __future__ import annotations

from sqlalchemy import Table, bindparam, insert, literal, select

from ..extensions import db
from ..models import Notification, Order, OrderEvent, OrderItem

TABLES = (Order.__table__, OrderItem.__table__, OrderEvent.__table__, Notification.__table__)
_INSERTS = {table.name: insert(table) for table in TABLES}
_COMBINED: dict[tuple[int, int], object] = {}


def columns(table: Table) -> list[str]:
    """The columns a new row gives: all but an integer row id the database numbers."""
    return [c.name for c in table.columns if c is not table.autoincrement_column]


def _combined_insert(item_count: int, message_count: int):
    """WITH new_order AS (INSERT ...), new_items AS (INSERT ...), ... SELECT 1: built once per
    shape. PostgreSQL checks the items' foreign key to the new order at the end of the
    statement, so children and parent can be written together."""
    key = (item_count, message_count)
    if key not in _COMBINED:
        ctes = []
        for table, count in zip(TABLES, (1, item_count, 1, message_count), strict=True):
            rows = [{name: bindparam(f"{table.name}{n}_{name}", type_=table.c[name].type)
                     for name in columns(table)} for n in range(count)]
            ctes.append(insert(table).values(rows).cte(f"new_{table.name}"))
        _COMBINED[key] = select(literal(1)).add_cte(*ctes)
    return _COMBINED[key]


def insert_order_rows(order: dict, order_items: list[dict], event: dict, outbox: list[dict]):
    """Insert a new order with its items, event and outbox rows."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        for table, rows in zip(TABLES, ([order], order_items, [event], outbox), strict=True):
            connection.execute(_INSERTS[table.name], rows)
        return
    params = {}
    for table, rows in zip(TABLES, ([order], order_items, [event], outbox), strict=True):
        for n, row in enumerate(rows):
            for name, value in row.items():
                params[f"{table.name}{n}_{name}"] = value
    connection.execute(_combined_insert(len(order_items), len(outbox)), params)
