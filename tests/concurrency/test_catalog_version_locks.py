"""The catalog version is raised at each commit without deadlocks and without lost raises
(PostgreSQL): parallel checkouts whose sales each change a product's shown stock, while the
back office changes the same products' prices in transactions of one statement per product
(in the checkouts' order, by id). Were the store's row locked at each statement instead of
at the commit, a checkout holding a product and waiting for the store would deadlock with a
back-office transaction holding the store and waiting for that product."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from shop.extensions import db
from shop.models import Product, Store

from .parallel import checkout_parallel, describe
from .test_parallel_checkout import checkout_body, release_session, statuses

pytestmark = pytest.mark.backends("postgresql")
CHECKOUTS = 40
PRICE_EDITS = 20


def test_checkouts_and_price_edits_of_the_same_products_raise_the_version_without_deadlock(
        committed, threaded_live_server):
    store = committed.store()
    # Low from 5,000: every sale changes the shown stock ("Sisa n"), so each line raises it.
    codes = [committed.product(store, code=f"LOW-{n}", price="10000", stock=1000,
                               low_stock_threshold=5000).code for n in range(3)]
    release_session()
    with db.engine.connect() as conn:
        before = conn.scalar(select(Store.catalog_version).where(Store.id == store.id))
    failures: list[str] = []
    engine = db.engine

    def edit_prices() -> None:
        for round_ in range(PRICE_EDITS):
            try:
                with engine.begin() as conn:
                    for code in codes:  # by id, as checkouts lock them
                        conn.execute(text("UPDATE products SET price = price + 1 "
                                          "WHERE store_id = :store AND code = :code"),
                                     {"store": store.id, "code": code})
                        time.sleep(0.03)  # holds the rows while checkouts come in
            except Exception as error:  # noqa: BLE001 (the test reports it)
                failures.append(f"edit {round_}: {error}")

    editor = threading.Thread(target=edit_prices)
    editor.start()
    payloads = [checkout_body(store, [(codes[i % 3], 1), (codes[(i + 1) % 3], 1)],
                              phone=f"0816{i:08d}") for i in range(CHECKOUTS)]
    answers = checkout_parallel(threaded_live_server.url, payloads)
    editor.join(timeout=60)

    assert statuses(answers) == [201] * CHECKOUTS, describe(answers)
    assert not failures, failures
    with db.engine.connect() as conn:
        after = conn.scalar(select(Store.catalog_version).where(Store.id == store.id))
        prices = conn.scalars(select(Product.price).where(Product.store_id == store.id))
        assert set(prices) == {10000 + PRICE_EDITS}
    # Every change raised it once: two lines a checkout, three products an edit.
    assert after - before == CHECKOUTS * 2 + PRICE_EDITS * 3
