"""POST /api/bot/order/summary (seed 002's get_order_summary): the customer's orders counted,
those still under way, what they spent (completed and paid, as the customer's stats keep it)
and the newest five; nothing of another customer's orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shop.extensions import db
from shop.models import Order, OrderStatus, PaymentStatus
from shop.services.orders import set_payment_status, transition
from tests.seed002 import bearer, bot_key

SUMMARY = "/api/bot/order/summary"
START = datetime(2025, 11, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def key(burger):
    return bot_key(burger)


def placed_on(make, store, day: int, *, items=(("BRG-CHEESE", 1),), phone="081234567890"):
    return make.order(store, items=list(items), phone=phone,
                      placed_at=START + timedelta(days=day))


def move(placed, *statuses, paid: bool = False):
    order = db.session.get(Order, placed.id)
    if paid:
        set_payment_status(order, PaymentStatus.PAID, actor="test")
    for status in statuses:
        transition(order, status, actor="test", note="test")
    db.session.commit()


def test_given_orders_in_every_state_then_counted_and_the_newest_five_listed(
        client, make, burger, key):
    done = placed_on(make, burger, 0, items=[("BRG-CHEESE", 4)])   # 100.000, completed, paid
    move(done, OrderStatus.PROCESSING, OrderStatus.COMPLETED, paid=True)
    unpaid_done = placed_on(make, burger, 1)                       # completed, never paid
    move(unpaid_done, OrderStatus.PROCESSING, OrderStatus.COMPLETED)
    cancelled = placed_on(make, burger, 2)
    move(cancelled, OrderStatus.CANCELLED)
    shipped = placed_on(make, burger, 3)
    move(shipped, OrderStatus.PROCESSING, OrderStatus.SHIPPED)
    confirmed = placed_on(make, burger, 4)
    move(confirmed, OrderStatus.CONFIRMED)
    pending = placed_on(make, burger, 5, items=[("FRIES", 2)])
    placed_on(make, burger, 6, phone="081399998888")               # someone else's

    answer = client.post(SUMMARY, json={"phone": "081234567890"}, headers=bearer(key))

    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["success"] is True
    summary = body["summary"]
    assert summary["totalOrders"] == 6 and summary["activeOrders"] == 3
    assert summary["totalSpent"] == "100000.00"  # only the completed and paid order
    recent = summary["recentOrders"]
    assert [o["orderNumber"] for o in recent] == [
        pending.number, confirmed.number, shipped.number, cancelled.number, unpaid_done.number]
    assert recent[0] == {"orderNumber": pending.number, "status": "PENDING",
                         "totalAmount": "30000.00", "createdAt": "2025-11-06T10:00:00Z"}
    assert recent[2]["status"] == "SHIPPED" and recent[3]["status"] == "CANCELLED"


def test_given_a_customer_without_orders_then_zeros(client, make, burger, key):
    customer = make.customer(burger, phone="6285700001111")
    answer = client.post(SUMMARY, json={"customerId": customer.public_id}, headers=bearer(key))
    assert answer.status_code == 200
    assert answer.get_json()["summary"] == {"totalOrders": 0, "activeOrders": 0,
                                            "totalSpent": "0.00", "recentOrders": []}


def test_given_an_unknown_customer_or_another_stores_key_then_404(client, make, burger, key):
    placed = placed_on(make, burger, 0)
    other_key = bot_key(make.store("toko-lain"))
    unknown = client.post(SUMMARY, json={"phone": "081200000000"}, headers=bearer(key))
    elsewhere = client.post(SUMMARY, json={"customerId": placed.customer.public_id},
                            headers=bearer(other_key))
    assert unknown.status_code == elsewhere.status_code == 404
    assert unknown.get_json() == elsewhere.get_json()
    assert placed.number not in elsewhere.get_data(as_text=True)


@pytest.mark.parametrize("body, status", [({}, 422), ({"phone": "12"}, 422),
                                          ({"customerId": 7}, 400)])
def test_given_no_or_a_bad_customer_then_refused(client, burger, key, body, status):
    answer = client.post(SUMMARY, json=body, headers=bearer(key))
    assert answer.status_code == status and answer.get_json()["success"] is False
