"""On PostgreSQL, an order's row changes with everything its tracking page shows of it.

The page shows the order's row and rows of four other tables (its items, status events, the
shopper's change requests and its payments' notes: services/tracking.py). A change of one of
those rows in a transaction that leaves the order's row alone touches that row too (an
UPDATE of nothing), so the row's `xmin`, the transaction that wrote its current version,
stands for the whole page: the tracking page's front reads only it (tracking/front.py).
A transaction that wrote the order's row anyway (a checkout, a status change) is not made to
write it again. Constraint triggers deferred to the commit, as the catalog's are: the order's
row is locked last.

SQLite has no `xmin`; its tracking pages are kept by the whole row (tracking/routes.py)."""

from __future__ import annotations

from sqlalchemy import event

from .orders import OrderEvent, OrderItem, OrderRequest
from .payments import Payment

#: The tables the tracking page reads beside `orders`, each with its trigger's name.
ORDER_PARTS = {"order_items": "order_version_items", "order_events": "order_version_events",
               "order_requests": "order_version_requests", "payments": "order_version_payments"}

_TOUCH = ("UPDATE orders SET id = id WHERE id = {} AND xmin <> pg_current_xact_id()::xid")


def create_order_version_trigger(connection, table: str) -> None:
    """PostgreSQL: the trigger of one of ORDER_PARTS' tables (and the function they share)."""
    if connection.dialect.name != "postgresql":
        return
    run = connection.exec_driver_sql
    run(f"""CREATE OR REPLACE FUNCTION touch_order() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP <> 'INSERT' THEN {_TOUCH.format("OLD.order_id")}; END IF;
          IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.order_id <> OLD.order_id) THEN
            {_TOUCH.format("NEW.order_id")};
          END IF;
          RETURN NULL;
        END $$""")
    name = ORDER_PARTS[table]
    run(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    run(f"CREATE CONSTRAINT TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table}"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION touch_order()")


def _on_create(table):
    return lambda _table, connection, **_kw: create_order_version_trigger(connection,
                                                                          table.name)


for _model in (OrderItem, OrderEvent, OrderRequest, Payment):
    event.listen(_model.__table__, "after_create", _on_create(_model.__table__))
