"""An admin's edit that moves stock between products, while a shopper buys both products:
the checkout waits for the edit's row locks, both finish (no deadlock), and stock adds up."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select, text

from shop.extensions import db
from shop.models import Order, Product, Store
from shop.services import order_edits
from shop.services.checkout import CheckoutRequest, place_order
from shop.services.order_edits import edit_order

#: Longest wait for any one step; each wait ends as soon as its step has happened.
WAIT = 10.0


def backend_pid() -> int:
    """The PostgreSQL backend of this thread's session (its transaction keeps it till commit)."""
    return db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()


def blocked_by(pid: int) -> list[int]:
    """The backends whose locks the backend `pid` is waiting for, read on a connection of
    its own."""
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT pg_blocking_pids(:pid)"), {"pid": pid}).scalar_one()


def wait_until(seen: Callable[[], bool]) -> bool:
    """Poll PostgreSQL until `seen()` (a lock wait has no event to listen to); False after
    WAIT seconds. Only how soon the test notices depends on the polling, not what happens."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if seen():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.backends("postgresql")
def test_checkout_of_the_products_an_edit_moves_waits_for_the_edit_and_both_finish(
    app, committed, monkeypatch
):
    # Given an order holding 2 of A (the lower id), which an admin edits to 2 of B
    store = committed.store("paralel")
    a = committed.product(store, "A", "1000", name="Alpha", stock=50)
    b = committed.product(store, "B", "1000", name="Beta", stock=50)
    order_id = committed.order(store, [("A", 2)]).id
    store_id, a_id, b_id = store.id, a.id, b.id
    db.session.remove()
    edit_has_locked = threading.Event()  # the edit locked what it moves and took B's stock
    checkout_is_waiting = threading.Event()  # the checkout is seen waiting for the edit
    pids: dict[str, int] = {}
    results: dict[str, str] = {}

    # The edit pauses between taking B and giving back A, until the checkout waits for it.
    # Had the edit locked only B by then (B then A: the wrong order), the checkout would
    # lock A and wait for B, the edit would wait for A, and PostgreSQL would abort one of
    # them as a deadlock.
    release_stock = order_edits.release_stock

    def release_once_the_checkout_waits(give):
        edit_has_locked.set()
        checkout_is_waiting.wait(WAIT)
        release_stock(give)

    monkeypatch.setattr(order_edits, "release_stock", release_once_the_checkout_waits)

    def run(name: str, work: Callable[[], object]) -> None:
        with app.app_context():
            try:
                pids[name] = backend_pid()
                work()
                db.session.commit()
                results[name] = "ok"
            except Exception as error:  # noqa: BLE001 - the test reports whatever happened
                db.session.rollback()
                results[name] = f"{type(error).__name__}: {error}"
            finally:
                db.session.remove()

    def edit():
        edit_order(db.session.get(Order, order_id), {"items": [{"code": "B", "qty": 2}]},
                   actor="admin:test")

    def buy():
        place_order(db.session.get(Store, store_id), CheckoutRequest(
            name="Pembeli", phone="081298765432", address="Jl. A",
            items=[("A", 1), ("B", 1)]), base_url="https://shop.test")

    editing = threading.Thread(target=run, args=("edit", edit))
    buying = threading.Thread(target=run, args=("checkout", buy))
    waited = False
    try:
        # When the edit holds its locks, the shopper checks out both products
        editing.start()
        assert edit_has_locked.wait(WAIT), f"the edit never reached its stock moves: {results}"
        buying.start()
        waited = wait_until(
            lambda: "checkout" in pids and pids["edit"] in blocked_by(pids["checkout"])
        )
    finally:
        checkout_is_waiting.set()
        editing.join(WAIT)
        buying.join(WAIT)

    # Then the checkout waited for the edit's locks, and both went through in that order
    assert waited, f"the checkout never waited for the edit's locks: {results}"
    assert results == {"edit": "ok", "checkout": "ok"}
    with app.app_context():
        stocks = dict(db.session.execute(
            select(Product.id, Product.stock).where(Product.id.in_([a_id, b_id]))).all())
        db.session.remove()
    assert stocks == {a_id: 50 - 1, b_id: 50 - 2 - 1}
