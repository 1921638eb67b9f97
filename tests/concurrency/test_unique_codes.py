"""Unique transfer codes under parallel checkouts on PostgreSQL: 50 shoppers buying the same
total at the same instant get 50 different amounts to transfer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from shop.models import Order

from .parallel import checkout_parallel, describe
from .test_parallel_checkout import checkout_body, release_session, rows


@pytest.mark.backends("postgresql")
def test_50_parallel_checkouts_of_the_same_total_get_50_amounts_due(
    committed, threaded_live_server
):
    store = committed.store(unique_code_enabled=True)
    kaos = committed.product(store, code="KAOS", price="65000")
    release_session()

    answers = checkout_parallel(threaded_live_server.url, [
        checkout_body(store, [(kaos.code, 1)], phone=f"0813{i:08d}", name=f"Pembeli {i}")
        for i in range(50)
    ])

    assert [a.status for a in answers] == [201] * 50, describe(answers)
    saved = rows(select(Order.total, Order.unique_code, Order.amount_due)
                 .where(Order.store_id == store.id))
    assert len(saved) == 50
    assert {row.total for row in saved} == {Decimal("65000.00")}
    assert sorted(row.unique_code for row in saved) == list(range(1, 51))
    assert len({row.amount_due for row in saved}) == 50
    answered = {a.body["payment"]["amount_due"] for a in answers}
    assert answered == {str(row.amount_due) for row in saved}
