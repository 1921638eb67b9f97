"""POST /api/bot/order/cancel (seed 002's cancel_order): the customer cancels their own order
while it is PENDING, CONFIRMED or PROCESSING, through the order machine (stock back, the
customer told, the event recorded as the key's bot); later it is a 409 that names the store's
WhatsApp; another customer's, another store's and a dealer's order answer the same 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from shop.errors import TransitionRefused
from shop.extensions import db
from shop.models import (
    ApiKey,
    EventKind,
    Notification,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentStatus,
    Product,
)
from shop.services.api_keys import key_hash
from shop.services.bot_tools import cancel_order
from shop.services.orders import set_payment_status, transition
from shop.services.shipping import add_shipment
from tests.seed002 import bearer, bot_key

CANCEL = "/api/bot/order/cancel"
#: How each status is reached from PENDING.
PATHS = {
    OrderStatus.PENDING: [],
    OrderStatus.CONFIRMED: [OrderStatus.CONFIRMED],
    OrderStatus.PROCESSING: [OrderStatus.PROCESSING],
    OrderStatus.SHIPPED: [OrderStatus.PROCESSING, "ship"],
    OrderStatus.DELIVERED: [OrderStatus.PROCESSING, "ship", OrderStatus.DELIVERED],
    OrderStatus.COMPLETED: [OrderStatus.PROCESSING, OrderStatus.COMPLETED],
    OrderStatus.REJECTED: [OrderStatus.REJECTED],
}


@pytest.fixture
def key(burger):
    return bot_key(burger)


def order_in(make, store, status: OrderStatus, **fields):
    placed = make.order(store, items=[("COLA", 2)], **fields)
    order = db.session.get(Order, placed.id)
    for step in PATHS[status]:
        if step == "ship":
            add_shipment(order, "jne", "JNE123456789", actor="test")
        else:
            transition(order, step, actor="test", note="test")
    db.session.commit()
    return placed


def cola_stock(store) -> int:
    return db.session.scalar(select(Product.stock).where(
        Product.store_id == store.id, Product.code == "COLA").execution_options(
        populate_existing=True))


def status_of(order_id: str) -> OrderStatus:
    return db.session.scalar(select(Order.status).where(Order.id == order_id)
                             .execution_options(populate_existing=True))


def test_given_a_pending_order_then_cancelled_in_seed_002s_shape(client, make, burger, key):
    placed = order_in(make, burger, OrderStatus.PENDING)
    assert cola_stock(burger) == 48

    answer = client.post(CANCEL, json={"customerId": placed.customer.public_id,
                                       "orderNumber": placed.number, "reason": "Salah ukuran"},
                         headers=bearer(key))

    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"success": True, "orderNumber": placed.number,
                                 "message": f"Pesanan {placed.number} telah dibatalkan",
                                 "orderStatus": "CANCELLED", "refundDue": False}
    assert status_of(placed.id) == OrderStatus.CANCELLED
    assert cola_stock(burger) == 50  # the stock came back
    event = db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == placed.id, OrderEvent.kind == EventKind.STATUS)).one()
    prefix = db.session.scalar(select(ApiKey.prefix).where(ApiKey.key_hash == key_hash(key)))
    assert event.actor == f"bot:{prefix}" and event.to_status == "CANCELLED"
    assert event.note == "Dibatalkan pelanggan lewat chatbot: Salah ukuran"
    told = db.session.scalars(select(Notification.recipient).where(
        Notification.order_id == placed.id,
        Notification.template == "order_status_cancelled")).all()
    assert told == ["6281234567890"]


@pytest.mark.parametrize("status", [OrderStatus.CONFIRMED, OrderStatus.PROCESSING])
def test_given_a_confirmed_or_processing_order_then_it_is_cancelled(
        client, make, burger, key, status):
    placed = order_in(make, burger, status)
    answer = client.post(CANCEL, json={"phone": "0812-3456-7890", "orderNumber": placed.number},
                         headers=bearer(key))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert status_of(placed.id) == OrderStatus.CANCELLED


def test_given_a_paid_order_then_cancelled_with_word_of_the_refund(client, make, burger, key):
    placed = order_in(make, burger, OrderStatus.PROCESSING)
    set_payment_status(db.session.get(Order, placed.id), PaymentStatus.PAID, actor="admin:x")
    db.session.commit()
    answer = client.post(CANCEL, json={"phone": "081234567890", "orderNumber": placed.number},
                         headers=bearer(key))
    body = answer.get_json()
    assert answer.status_code == 200 and body["refundDue"] is True
    assert body["message"].startswith(f"Pesanan {placed.number} telah dibatalkan. ")
    assert "dikembalikan" in body["message"] and "081111111111" in body["message"]


@pytest.mark.parametrize("status", [OrderStatus.SHIPPED, OrderStatus.DELIVERED,
                                    OrderStatus.COMPLETED, OrderStatus.REJECTED])
def test_given_an_order_past_processing_then_409_says_to_ask_a_person(
        client, make, burger, key, status):
    placed = order_in(make, burger, status)

    answer = client.post(CANCEL, json={"customerId": placed.customer.public_id,
                                       "orderNumber": placed.number}, headers=bearer(key))

    assert answer.status_code == 409, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["success"] is False and body["code"] == "transition_refused"
    assert body["status"] == status.value
    assert body["contact"] == {"whatsapp": "081111111111", "url": "https://wa.me/6281111111111"}
    assert "081111111111" in body["error"] and placed.number in body["error"]
    assert status_of(placed.id) == status


def test_given_an_order_already_cancelled_then_409_says_so(client, make, burger, key):
    placed = order_in(make, burger, OrderStatus.PENDING)
    asked = {"customerId": placed.customer.public_id, "orderNumber": placed.number}
    assert client.post(CANCEL, json=asked, headers=bearer(key)).status_code == 200

    again = client.post(CANCEL, json=asked, headers=bearer(key))

    assert again.status_code == 409 and "sudah dibatalkan" in again.get_json()["error"]
    assert cola_stock(burger) == 50  # given back once


def test_given_another_customers_order_then_404_and_it_stays(client, make, burger, key):
    mine = make.order(burger, items=[("FRIES", 1)], phone="081234567890")
    theirs = order_in(make, burger, OrderStatus.PENDING, phone="081399998888", name="Sari")
    asked = [{"customerId": mine.customer.public_id, "orderNumber": theirs.number},
             {"phone": "081234567890", "orderNumber": theirs.number},
             {"phone": "081234567890", "orderNumber": "ORD-20000101-999"}]
    answers = [client.post(CANCEL, json=b, headers=bearer(key)) for b in asked]
    assert {a.status_code for a in answers} == {404}
    assert all(a.get_json() == answers[0].get_json() for a in answers)
    assert theirs.number not in str([a.get_data(as_text=True) for a in answers])
    assert status_of(theirs.id) == OrderStatus.PENDING


def test_given_a_key_of_another_store_then_404(client, make, burger):
    placed = order_in(make, burger, OrderStatus.PENDING)
    other_key = bot_key(make.store("toko-lain"))
    answer = client.post(CANCEL, json={"phone": "081234567890", "orderNumber": placed.number},
                         headers=bearer(other_key))
    assert answer.status_code == 404 and status_of(placed.id) == OrderStatus.PENDING


def test_given_a_dealer_order_then_never_reachable(client, make):
    shop = make.dealer_shop(phone="6281234567890")
    placed = make.b2b_order(shop)
    make.customer(shop.store, phone="6281234567890")  # a customer with the shop's number
    key = bot_key(shop.store)
    for scope in ({"phone": "081234567890"}, {"customerId": "cu_nobody"}):
        answer = client.post(CANCEL, json={**scope, "orderNumber": placed.number},
                             headers=bearer(key))
        assert answer.status_code == 404
    assert status_of(placed.id) == OrderStatus.PENDING


@pytest.mark.parametrize("reason, status", [("x" * 501, 422), ("Salah\x00ukuran", 422),
                                            (["a"], 400)])
def test_given_a_bad_reason_then_refused_and_not_cancelled(
        client, make, burger, key, reason, status):
    placed = order_in(make, burger, OrderStatus.PENDING)
    answer = client.post(CANCEL, json={"customerId": placed.customer.public_id,
                                       "orderNumber": placed.number, "reason": reason},
                         headers=bearer(key))
    assert answer.status_code == status and "reason" in answer.get_json()["fields"]
    assert status_of(placed.id) == OrderStatus.PENDING


def test_given_the_store_moved_the_order_on_meanwhile_then_refused_with_the_new_status(
        make, burger):
    placed = order_in(make, burger, OrderStatus.PROCESSING)
    db.session.get(Order, placed.id)  # the bot's session holds the order as PROCESSING
    db.session.execute(update(Order).where(Order.id == placed.id)
                       .values(status=OrderStatus.SHIPPED.value))

    with pytest.raises(TransitionRefused) as refused:
        cancel_order(burger, order_ref=placed.number, phone="081234567890", actor="bot")

    assert refused.value.code == "transition_refused"
    assert refused.value.details["status"] == "SHIPPED" and "Sedang Dikirim" in str(refused.value)
