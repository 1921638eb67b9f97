"""On PostgreSQL a change of an order's items, status events, change requests or payments
touches the order's row (models/order_versions.py), so that the row's xmin changes with
everything the tracking page shows of the order: the tracking page's front keeps pages by it.
Each change here commits on its own, from a connection of the test's own."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shop.extensions import db
from shop.models import ORDER_PARTS

pytestmark = pytest.mark.backends("postgresql")

#: One change of each kind for each table, as SQL of the order :id.
CHANGES = {
    "order_items": [
        "UPDATE order_items SET name = name || ' (pedas)' WHERE order_id = :id",
        "INSERT INTO order_items (order_id, product_id, code, name, unit_price, qty, discount,"
        " subtotal, reserved_qty) SELECT order_id, product_id, code, 'Tambahan', unit_price, 1,"
        " 0, unit_price, 0 FROM order_items WHERE order_id = :id LIMIT 1",
        "DELETE FROM order_items WHERE order_id = :id AND name = 'Tambahan'",
    ],
    "order_events": [
        "INSERT INTO order_events (order_id, kind, from_status, to_status, actor, note,"
        " created_at) VALUES (:id, 'note', NULL, NULL, 'admin:a@toko.test', 'Catatan', now())",
        "UPDATE order_events SET note = 'Catatan baru' WHERE order_id = :id AND kind = 'note'",
        "DELETE FROM order_events WHERE order_id = :id AND kind = 'note'",
    ],
    "order_requests": [
        "INSERT INTO order_requests (order_id, store_id, topic, status, message, created_at)"
        " SELECT id, store_id, 'note', 'open', 'Tolong cepat', now() FROM orders WHERE id = :id",
        "UPDATE order_requests SET answer = 'Siap', status = 'answered' WHERE order_id = :id",
        "DELETE FROM order_requests WHERE order_id = :id",
    ],
    "payments": [
        "INSERT INTO payments (order_id, method, amount, status, note, actor, created_at)"
        " VALUES (:id, 'bank_transfer', 1000, 'rejected', 'Buram', 'admin:a@toko.test', now())",
        "UPDATE payments SET note = 'Nominal beda' WHERE order_id = :id",
        "DELETE FROM payments WHERE order_id = :id",
    ],
}


def order_version(connection, order_id: str) -> str:
    found = connection.execute(text("SELECT xmin::text FROM orders WHERE id = :id"),
                               {"id": order_id}).scalar_one()
    connection.rollback()
    return found


def commit_alone(connection, change: str, order_id: str) -> int:
    changed = connection.execute(text(change), {"id": order_id}).rowcount
    connection.commit()
    return changed


def test_every_table_the_page_reads_is_covered():
    assert set(CHANGES) == set(ORDER_PARTS)


@pytest.mark.parametrize("table", CHANGES)
def test_a_change_of_an_orders_part_changes_the_orders_version(app, committed, table):
    # Given a placed order
    store = committed.burger_store()
    placed = committed.order(store, items=[("COLA", 2)], payment_method="bank_transfer")
    db.session.remove()
    with db.engine.connect() as connection:
        for change in CHANGES[table]:
            before = order_version(connection, placed.id)
            # When one of its rows of the table is inserted, changed or deleted, and commits
            assert commit_alone(connection, change, placed.id) >= 1
            # Then the order's row has a new version
            assert order_version(connection, placed.id) != before, change


def test_a_change_of_another_order_leaves_this_one_alone(app, committed):
    store = committed.burger_store()
    mine = committed.order(store, items=[("COLA", 1)])
    other = committed.order(store, items=[("COLA", 1)], phone="081298764321")
    db.session.remove()
    with db.engine.connect() as connection:
        before = order_version(connection, mine.id)
        assert commit_alone(connection, CHANGES["order_items"][0], other.id) == 1
        assert order_version(connection, mine.id) == before
