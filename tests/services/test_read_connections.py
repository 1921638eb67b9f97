"""The busiest pages' reads by the driver (services/sql.py): the same values as SQLAlchemy
reads, and on PostgreSQL, in the views marked for it, through the thread's own autocommit
connection instead of the session's (no transaction, no pooled connection checked out)."""

from __future__ import annotations

import gc
import re
import threading
import warnings
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from shop.extensions import db
from shop.models import Order, OrderStatus
from shop.services.sql import READS
from shop.services.tracking import _tracking_query, load_tracking

HTML = {"Accept": "text/html"}


def test_tracking_row_by_the_driver_has_the_values_and_types_sqlalchemy_reads(
        app, database, make, burger):
    # Given an order with two lines, paid by bank transfer
    placed = make.order(burger, items=[("COLA", 2), ("FRIES", 1)])
    query = _tracking_query(db.session.get_bind().dialect.name)

    # When the tracking row is read by the driver and by SQLAlchemy
    by_driver = query.first({"order_id": placed.id})
    by_sqlalchemy = db.session.execute(query.statement, {"order_id": placed.id}).one()

    # Then every value is equal and of the same type (an enum member, a Decimal, a
    # timestamp with its zone, the aggregated lines)
    assert tuple(by_driver) == tuple(by_sqlalchemy)
    assert [type(v) for v in by_driver] == [type(v) for v in by_sqlalchemy]
    assert by_driver.status is OrderStatus.PENDING
    assert by_driver.number == placed.number
    assert load_tracking(placed.id).items[0].name


def test_unknown_order_by_the_driver_is_none(app, database, burger):
    query = _tracking_query(db.session.get_bind().dialect.name)
    assert query.first({"order_id": "c" + "0" * 25}) is None


@contextmanager
def statements_sent(engine):
    sent: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):
        # The read connection's statements come without a SQLAlchemy connection.
        sent.append(("session" if conn is not None else "read connection",
                     " ".join(statement.split())))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def held_pid() -> int:
    held = READS._local.held
    return held[2].dbapi_connection.info.backend_pid


def burger_browser(app, committed):
    """Burger China committed, and a browser with no session yet."""
    store = committed.burger_store()
    db.session.remove()
    return store, app.test_client()


def back_office_sets(store, assignment: str) -> None:
    """What the back office does to the Cola: one change, committed."""
    db.session.execute(text(f"UPDATE products SET {assignment} WHERE code = 'COLA'"  # noqa: S608
                            " AND store_id = :store"), {"store": store.id})
    db.session.commit()
    db.session.remove()


@pytest.mark.backends("postgresql")
def test_store_page_reads_through_the_thread_connection_without_a_transaction(
        app, committed):
    # Given a store whose page is already rendered once in this process
    _store, browser = burger_browser(app, committed)
    assert browser.get("/store/burgerchina", headers=HTML).status_code == 200
    db.session.remove()  # as the request's own app context would at its end
    first = held_pid()

    # When the page is asked for again
    with statements_sent(db.engine) as sent:
        page = browser.get("/store/burgerchina", headers=HTML)
        out = db.engine.pool.checkedout()

    # Then it is one statement on the same kept connection: no BEGIN, no isolation level
    # set and read back, no ROLLBACK; and no pooled connection is out
    assert page.status_code == 200 and "COLA" in page.get_data(as_text=True)
    assert [where for where, _sql in sent] == ["read connection"]
    assert sent[0][1].startswith("SELECT stores.id, stores.catalog_version")
    assert held_pid() == first
    assert out == 0


@pytest.mark.backends("postgresql")
def test_read_connection_sees_the_next_commit_and_the_cart_add_refuses_a_sold_out_product(
        app, committed):
    # Given a shopper on the store page, read through the kept connection
    store, browser = burger_browser(app, committed)
    assert browser.get("/store/burgerchina", headers=HTML).status_code == 200

    # When the back office sells the Cola out and commits
    back_office_sets(store, "stock = 0")

    # Then the very next cart add is refused, and the page shows it sold out
    added = browser.post("/store/burgerchina/cart", headers=HTML, data={
        "code": "COLA", "qty": "1", "action": "add", "next": "/store/burgerchina"})
    assert added.status_code == 303
    page = browser.get("/store/burgerchina", headers=HTML).get_data(as_text=True)
    assert '<span id="cart-count">0</span>' in page and 'class="flash' in page
    cola = re.search(r'data-code="COLA">(.*?)</article>', page, re.S).group(1)
    assert "Stok habis" in cola


@pytest.mark.backends("postgresql")
def test_a_lost_read_connection_is_opened_again(app, committed):
    # Given an order whose tracking page was read through the thread's connection
    store = committed.burger_store()
    placed = committed.order(store, items=[("COLA", 1)])
    db.session.remove()
    browser = app.test_client()
    with statements_sent(db.engine) as sent:
        assert browser.get(f"/track/{placed.id}", headers=HTML).status_code == 200
    assert [where for where, _sql in sent] == ["read connection"]
    lost = held_pid()

    # When the database ends that connection (a restart, an idle timeout)
    db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})
    db.session.commit()
    db.session.remove()

    # Then the next page is read on a new connection, and nothing of it is lost
    with statements_sent(db.engine) as sent:
        page = browser.get(f"/track/{placed.id}", headers=HTML)
    assert [where for where, _sql in sent] == ["read connection"] * 2  # lost, then again
    assert page.status_code == 200 and placed.number in page.get_data(as_text=True)
    assert held_pid() != lost
    assert db.session.get(Order, placed.id).number == placed.number


@pytest.mark.backends("postgresql")
def test_checkout_page_reads_its_cart_through_the_thread_connection_at_todays_price(
        app, committed):
    # Given a shopper with a Cola in the cart
    store, browser = burger_browser(app, committed)
    added = browser.post("/store/burgerchina/cart", headers={"Accept": "application/json"},
                         data={"code": "COLA", "qty": "2", "action": "add"})
    assert added.status_code == 200, added.get_json()
    assert browser.get("/store/burgerchina/checkout", headers=HTML).status_code == 200
    db.session.remove()

    # When the back office raises its price and commits
    back_office_sets(store, "price = 9000")

    # Then the very next checkout page shows the new price (the store's new version read
    # by the session, and the cart with it, in one transaction)
    assert "Rp 18.000" in browser.get("/store/burgerchina/checkout", headers=HTML).get_data(
        as_text=True)
    db.session.remove()
    # And the page after it reads the store's version and the cart on the kept connection
    with statements_sent(db.engine) as sent:
        page = browser.get("/store/burgerchina/checkout", headers=HTML)
    assert page.status_code == 200 and "Rp 18.000" in page.get_data(as_text=True)
    assert [where for where, _sql in sent] == ["read connection"] * 2
    assert "products.code = ANY (" in sent[1][1]


@pytest.mark.backends("postgresql")
def test_a_threads_read_connection_is_closed_when_the_thread_ends(app, committed):
    # Given a page served from a thread of its own, as the development server serves each
    _store, browser = burger_browser(app, committed)
    served: list[int] = []

    def serve():
        with app.app_context():
            assert browser.get("/store/burgerchina", headers=HTML).status_code == 200
            served.append(held_pid())

    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        thread = threading.Thread(target=serve)
        thread.start()
        thread.join(10)
        # When the thread is gone
        del thread
        gc.collect()
    # Then so is its connection, closed (not dropped open with the thread, which warns)
    assert not [w for w in warned if issubclass(w.category, ResourceWarning)]
    alive = db.session.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                               {"pid": served[0]}).scalar()
    assert alive == 0
