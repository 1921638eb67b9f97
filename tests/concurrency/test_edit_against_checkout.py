"""An admin's edit that moves stock between products, while a shopper buys both products:
both finish (no deadlock), and stock adds up."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, Product, Store
from shop.services import order_edits
from shop.services.checkout import CheckoutRequest, place_order
from shop.services.order_edits import edit_order


@pytest.mark.backends("postgresql")
def test_edit_moving_stock_and_checkout_of_the_same_products_both_finish(
    app, committed, monkeypatch
):
    store = committed.store("paralel")
    a = committed.product(store, "A", "1000", name="Alpha", stock=50)
    b = committed.product(store, "B", "1000", name="Beta", stock=50)
    order_id = committed.order(store, [("A", 2)]).id  # holds 2 of A (the lower id)
    store_id, a_id, b_id = store.id, a.id, b.id
    db.session.remove()
    # Widen the window between taking B and giving back A, so the checkout lands inside it.
    release = order_edits.release_stock
    monkeypatch.setattr(order_edits, "release_stock",
                        lambda give: (time.sleep(0.5), release(give)))
    results: dict[str, str] = {}

    def run(name, work, delay):
        time.sleep(delay)
        with app.app_context():
            try:
                work()
                db.session.commit()
                results[name] = "ok"
            except Exception as error:  # noqa: BLE001 - the test reports whatever happened
                db.session.rollback()
                results[name] = f"{type(error).__name__}: {error}"

    def edit():
        edit_order(db.session.get(Order, order_id), {"items": [{"code": "B", "qty": 2}]},
                   actor="admin:test")

    def buy():
        place_order(db.session.get(Store, store_id), CheckoutRequest(
            name="Pembeli", phone="081298765432", address="Jl. A",
            items=[("A", 1), ("B", 1)]), base_url="https://shop.test")

    threads = [threading.Thread(target=run, args=("edit", edit, 0)),
               threading.Thread(target=run, args=("checkout", buy, 0.2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results == {"edit": "ok", "checkout": "ok"}
    with app.app_context():
        stocks = dict(db.session.execute(
            select(Product.id, Product.stock).where(Product.id.in_([a_id, b_id]))).all())
        db.session.remove()
    assert stocks == {a_id: 50 - 1, b_id: 50 - 2 - 1}
