"""Unique transfer codes (services/transfer_codes.py): the lowest code whose amount no unpaid
order of the store's last week has, only for bank transfers of a store that uses them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select, update

from shop.extensions import db
from shop.models import Order, OrderStatus, PaymentStatus, utcnow

TRANSFER = {"payment_method": "bank_transfer"}


def coded_store(make, **fields):
    store = make.store(unique_code_enabled=True, **fields)
    make.product(store, "KAOS", "65000")
    make.product(store, "TOPI", "64999")
    return store


def order(make, store, code="KAOS", **fields):
    return make.order(store, [(code, 1)], **{**TRANSFER, **fields})


def test_each_unpaid_transfer_gets_its_own_amount(make):
    store = coded_store(make)

    first, second, third = (order(make, store) for _ in range(3))

    assert [p.unique_code for p in (first, second, third)] == [1, 2, 3]
    assert first.amount_due == Decimal("65001.00") and first.totals.total == Decimal("65000.00")
    saved = db.session.get(Order, second.id)
    assert saved.unique_code == 2 and saved.amount_due == Decimal("65002.00")
    assert saved.total == Decimal("65000.00")  # the code is not part of what was bought


def test_an_amount_another_total_reaches_is_skipped(make):
    store = coded_store(make)
    cheaper = order(make, store, "TOPI")  # 64,999 + 1 = 65,000
    assert cheaper.amount_due == Decimal("65000.00")
    taken = order(make, store)  # 65,001 is free

    assert taken.unique_code == 1
    db.session.execute(update(Order).where(Order.id == cheaper.id).values(unique_code=2))
    db.session.commit()  # now 65,001 is taken twice over: the next one skips it

    assert order(make, store).unique_code == 2  # 65,002: the cheaper order moved to 65,001


def test_paid_cancelled_and_week_old_orders_free_their_amount(make):
    store = coded_store(make)
    paid, cancelled, old = order(make, store), order(make, store), order(make, store)
    db.session.execute(update(Order).where(Order.id == paid.id)
                       .values(payment_status=PaymentStatus.PAID))
    db.session.execute(update(Order).where(Order.id == cancelled.id)
                       .values(status=OrderStatus.CANCELLED))
    db.session.execute(update(Order).where(Order.id == old.id)
                       .values(created_at=utcnow() - timedelta(days=8)))
    db.session.commit()

    assert [order(make, store).unique_code for _ in range(3)] == [1, 2, 3]


def test_no_code_for_other_methods_or_stores_without_it(make):
    store = coded_store(make)
    plain = make.store()
    make.product(plain, "KAOS", "65000")

    cod = order(make, store, payment_method="cod")
    elsewhere = order(make, plain)

    assert cod.unique_code is None and cod.amount_due == Decimal("65000.00")
    assert elsewhere.unique_code is None
    assert db.session.get(Order, elsewhere.id).amount_due == Decimal("65000.00")


def test_other_stores_orders_do_not_take_a_stores_codes(make):
    one, two = coded_store(make), coded_store(make)

    assert order(make, one).unique_code == order(make, two).unique_code == 1


def test_an_edit_of_the_total_carries_the_code_along(make):
    store = coded_store(make)
    placed = order(make, store)

    db.session.execute(update(Order).where(Order.id == placed.id)
                       .values(total=Decimal("70000"), shipping_fee=Decimal("5000")))
    db.session.commit()
    saved = db.session.get(Order, placed.id)
    db.session.refresh(saved)

    assert saved.amount_due == Decimal("70001.00")


def test_when_every_code_is_taken_the_order_has_none(make):
    store = coded_store(make)
    first = order(make, store)
    table = Order.__table__
    row = dict(db.session.execute(select(table).where(table.c.id == first.id)).one()._mapping)
    row.pop("amount_due")
    db.session.execute(insert(table), [
        # Ids of their own: the first order's id with its last digits replaced could be
        # one of them (it ends in three digits once in ~50 runs).
        {**row, "id": f"c{'z' * 22}{code:03d}", "number": f"X-{code}", "unique_code": code,
         "idempotency_key": None} for code in range(2, 1000)])
    db.session.commit()

    last = order(make, store)

    assert last.unique_code is None and last.amount_due == Decimal("65000.00")
    assert db.session.get(Order, last.id).amount_due == Decimal("65000.00")
