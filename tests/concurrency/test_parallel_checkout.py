"""Parallel checkouts over real HTTP against a live server, with data that really commits.

Every test sends its requests at the same instant (threads released by a barrier) to
POST /api/orders/create-from-checkout and then checks the database with fresh queries:
one customer per phone, never a duplicate order number, never negative stock, one order per
idempotency key, no deadlock, no 500, no "database is locked".
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Customer, Notification, Order, OrderEvent, OrderItem, Product, Serial

from .parallel import Answer, checkout_parallel, describe

NUMBER = re.compile(r"^ORD-(\d{8})-(\d{3,})$")
PHONE = "081298765432"
PHONE_NORMALIZED = "6281298765432"


def checkout_body(store, items, *, phone=PHONE, name="Pembeli Paralel", key=None) -> dict:
    body = {
        "store": store.slug, "name": name, "phone": phone, "address": "Jl. Merdeka 1, Bandung",
        "courier": "JNE Regular", "payment_method": "bank_transfer",
        "items": [{"code": code, "qty": qty} for code, qty in items],
    }
    if key is not None:
        body["idempotency_key"] = key
    return body


def store_day(when: datetime | None = None) -> str:
    """Today as the test store's clock (Asia/Jakarta) shows it, as in order numbers."""
    return (when or datetime.now(UTC)).astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y%m%d")


def scalar(stmt):
    """A fresh read on its own connection: sees only what the server really committed."""
    with db.engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def rows(stmt):
    with db.engine.connect() as conn:
        return conn.execute(stmt).all()


def count(model, *where) -> int:
    return scalar(select(func.count()).select_from(model).where(*where))


def assert_daily_numbers(numbers: list[str], days: set[str]) -> None:
    """Numbers are ORD-YYYYMMDD-NNN of the store's day(s), each day counting 001, 002 ... n
    without a hole or a repeat (a run that crosses midnight starts a new day at 001)."""
    by_day: dict[str, list[int]] = defaultdict(list)
    for number in numbers:
        match = NUMBER.match(number)
        assert match, f"bad order number {number!r}"
        by_day[match.group(1)].append(int(match.group(2)))
    assert set(by_day) <= days, f"numbers of days {sorted(by_day)}, expected {sorted(days)}"
    for day, serials in by_day.items():
        assert sorted(serials) == list(range(1, len(serials) + 1)), (
            f"day {day}: numbers {sorted(serials)} are not 1..{len(serials)} exactly once"
        )


def statuses(answers: list[Answer]) -> list[int | None]:
    return sorted(a.status for a in answers)


def release_session() -> None:
    """Release the test thread's session: nothing of it may hold a lock during the burst."""
    db.session.remove()


# --- 1. one new phone, many parallel checkouts -------------------------------------------


def _same_new_phone(committed, threaded_live_server, parallel: int) -> None:
    store = committed.store()
    burger = committed.product(store, code="BRG-CHEESE", price="25000")  # made to order
    cola = committed.product(store, code="COLA", price="8000", stock=500)
    release_session()
    first_day = store_day()

    answers = checkout_parallel(threaded_live_server.url, [
        checkout_body(store, [(burger.code, 1), (cola.code, 2)], name=f"Pembeli {i}")
        for i in range(parallel)
    ])
    days = {first_day, store_day()}

    assert statuses(answers) == [201] * parallel, describe(answers)
    assert not any("locked" in str(a.body) for a in answers)
    order_ids = {a.order["id"] for a in answers}
    numbers = [a.order["number"] for a in answers]
    assert len(order_ids) == parallel
    assert len(set(numbers)) == parallel, f"duplicate numbers: {sorted(numbers)}"
    assert_daily_numbers(numbers, days)
    if len(days) == 1:  # the usual case: exactly ORD-<today>-001 .. ORD-<today>-<n>
        assert sorted(numbers) == [f"ORD-{first_day}-{n:03d}" for n in range(1, parallel + 1)]
    assert {a.customer["id"] for a in answers} == {answers[0].customer["id"]}

    customers = rows(select(Customer.id, Customer.phone, Customer.total_orders)
                     .where(Customer.store_id == store.id))
    assert len(customers) == 1, f"{len(customers)} customers for one phone: {customers}"
    customer_id, phone, total_orders = customers[0]
    # Every checkout counted itself on the one row: no increment was lost.
    assert (phone, total_orders) == (PHONE_NORMALIZED, parallel)

    orders = rows(select(Order.id, Order.number, Order.customer_id)
                  .where(Order.store_id == store.id))
    assert len(orders) == parallel
    assert {o.id for o in orders} == order_ids
    assert sorted(o.number for o in orders) == sorted(numbers)
    assert {o.customer_id for o in orders} == {customer_id}
    assert count(OrderItem, OrderItem.order_id.in_(order_ids)) == 2 * parallel
    assert count(OrderEvent, OrderEvent.order_id.in_(order_ids)) == parallel
    assert count(Notification, Notification.order_id.in_(order_ids)) == 2 * parallel
    assert scalar(select(Product.stock).where(Product.id == cola.id)) == 500 - 2 * parallel
    assert scalar(select(func.sum(Serial.last_number))
                  .where(Serial.name == f"order:{store.id}")) == parallel


@pytest.mark.backends("postgresql")
def test_40_parallel_checkouts_of_a_new_phone_make_one_customer_and_40_numbers(
    committed, threaded_live_server
):
    _same_new_phone(committed, threaded_live_server, parallel=40)


@pytest.mark.backends("sqlite")
def test_parallel_checkouts_on_sqlite_number_without_duplicates_or_locked_errors(
    committed, threaded_live_server
):
    _same_new_phone(committed, threaded_live_server, parallel=12)


def test_parallel_checkouts_of_different_phones_share_only_the_counter(
    app, committed, threaded_live_server
):
    """Different phones and a made-to-order product: the counter row is the only thing these
    checkouts share, so nothing else serializes them before the number is taken."""
    parallel = {"postgresql": 40, "sqlite": 12}[app.config["TEST_BACKEND"]]
    store = committed.store()
    fries = committed.product(store, code="FRIES", price="15000")  # made to order
    release_session()
    first_day = store_day()

    answers = checkout_parallel(threaded_live_server.url, [
        checkout_body(store, [(fries.code, 1)], phone=f"0817{i:08d}", name=f"Pembeli {i}")
        for i in range(parallel)
    ])
    days = {first_day, store_day()}

    assert statuses(answers) == [201] * parallel, describe(answers)
    numbers = [a.order["number"] for a in answers]
    assert len(set(numbers)) == parallel, f"duplicate numbers: {sorted(numbers)}"
    assert_daily_numbers(numbers, days)
    stored = [r.number for r in rows(select(Order.number).where(Order.store_id == store.id))]
    assert sorted(stored) == sorted(numbers)
    assert count(Customer, Customer.store_id == store.id) == parallel


# --- 2. the last items of a product -------------------------------------------------------


@pytest.mark.backends("postgresql")
def test_50_parallel_checkouts_of_stock_10_sell_exactly_10(
    committed, threaded_live_server
):
    store = committed.store()
    cola = committed.product(store, code="COLA", price="8000", stock=10)
    release_session()
    first_day = store_day()

    answers = checkout_parallel(threaded_live_server.url, [
        checkout_body(store, [(cola.code, 1)], phone=f"0813{i:08d}", name=f"Pembeli {i}")
        for i in range(50)
    ])
    days = {first_day, store_day()}

    assert statuses(answers) == [201] * 10 + [409] * 40, describe(answers)
    sold = [a for a in answers if a.status == 201]
    refused = [a for a in answers if a.status == 409]
    for answer in refused:
        assert answer.body["success"] is False
        assert answer.code == "out_of_stock", answer.body
        assert answer.body["items"] == [cola.name]
        assert "Stok tidak cukup" in answer.body["error"]
    numbers = [a.order["number"] for a in sold]
    assert len(set(numbers)) == 10
    assert_daily_numbers(numbers, days)

    assert scalar(select(Product.stock).where(Product.id == cola.id)) == 0
    assert count(Order, Order.store_id == store.id) == 10
    assert scalar(select(func.sum(OrderItem.qty)).join(Order)
                  .where(Order.store_id == store.id)) == 10
    # A refused checkout wrote nothing: no customer, no order, no outbox row.
    buyers = {a.customer["phone"] for a in sold}
    assert {r.phone for r in rows(select(Customer.phone).where(Customer.store_id == store.id))} \
        == buyers
    assert count(Notification, Notification.store_id == store.id) == 20


# --- 3. a resubmitted checkout ------------------------------------------------------------


@pytest.mark.backends("postgresql")
def test_same_idempotency_key_10_times_in_parallel_makes_one_order(
    committed, threaded_live_server
):
    store = committed.store()
    cola = committed.product(store, code="COLA", price="8000", stock=20)
    burger = committed.product(store, code="BRG-CHEESE", price="25000")
    release_session()
    body = checkout_body(store, [(burger.code, 2), (cola.code, 3)], key="checkout-7f3a9c21")

    answers = checkout_parallel(threaded_live_server.url, [dict(body) for _ in range(10)])

    assert statuses(answers) == [200] * 9 + [201], describe(answers)
    assert len({(a.order["id"], a.order["number"]) for a in answers}) == 1, [
        (a.status, a.order.get("id"), a.order.get("number")) for a in answers
    ]
    assert {a.order["total"] for a in answers} == {"74000.00"}
    order_id = answers[0].order["id"]

    assert [r.id for r in rows(select(Order.id).where(Order.store_id == store.id))] == [order_id]
    assert scalar(select(Product.stock).where(Product.id == cola.id)) == 17
    assert rows(select(Customer.phone, Customer.total_orders)
                .where(Customer.store_id == store.id)) == [(PHONE_NORMALIZED, 1)]
    assert count(OrderItem, OrderItem.order_id == order_id) == 2
    assert count(OrderEvent, OrderEvent.order_id == order_id) == 1
    assert count(Notification, Notification.store_id == store.id) == 2


# --- 4. two products bought in opposite orders -------------------------------------------


@pytest.mark.backends("postgresql")
def test_parallel_checkouts_of_two_products_in_opposite_order_do_not_deadlock(
    committed, threaded_live_server
):
    store = committed.store()
    a = committed.product(store, code="PART-A", price="10000", stock=100)
    b = committed.product(store, code="PART-B", price="20000", stock=100)
    release_session()
    parallel = 30
    payloads = [
        checkout_body(store, [(a.code, 2), (b.code, 1)] if i % 2 else [(b.code, 1), (a.code, 2)],
                      phone=f"0815{i:08d}", name=f"Toko {i}")
        for i in range(parallel)
    ]

    answers = checkout_parallel(threaded_live_server.url, payloads)

    assert statuses(answers) == [201] * parallel, describe(answers)
    assert not any("deadlock" in str(a.body).lower() for a in answers)
    assert len({a.order["number"] for a in answers}) == parallel
    assert scalar(select(Product.stock).where(Product.id == a.id)) == 100 - 2 * parallel
    assert scalar(select(Product.stock).where(Product.id == b.id)) == 100 - parallel
    assert count(Order, Order.store_id == store.id) == parallel
    assert count(Customer, Customer.store_id == store.id) == parallel
    assert scalar(select(func.count()).select_from(OrderItem).join(Order)
                  .where(Order.store_id == store.id)) == 2 * parallel
