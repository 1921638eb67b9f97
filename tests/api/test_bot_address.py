"""POST /api/bot/order/address (seed 002's updateShippingAddress): the customer changes the
shipping address of their order before it is shipped, through the order edit (the change is
recorded); after shipping it is a 409 naming the store's WhatsApp; the address is checked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import ApiKey, EventKind, Order, OrderEvent, OrderStatus
from shop.services.api_keys import key_hash
from shop.services.orders import transition
from shop.services.shipping import add_shipment
from tests.seed002 import bearer, bot_key

ADDRESS = "/api/bot/order/address"
NEW = "Jl. Kebon Jeruk No. 45, Jakarta Barat 11530"


@pytest.fixture
def key(burger):
    return bot_key(burger)


def address_of(order_id: str) -> str:
    return db.session.scalar(select(Order.shipping_address).where(Order.id == order_id)
                             .execution_options(populate_existing=True))


def edits(order_id: str) -> list[OrderEvent]:
    return list(db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == order_id, OrderEvent.kind == EventKind.EDITED)))


@pytest.mark.parametrize("status", [None, OrderStatus.CONFIRMED, OrderStatus.PROCESSING])
def test_given_an_order_not_shipped_then_the_address_changes_and_is_recorded(
        client, make, burger, key, status):
    placed = make.order(burger, items=[("FRIES", 1)])
    if status is not None:
        transition(db.session.get(Order, placed.id), status, actor="test")
        db.session.commit()

    answer = client.post(ADDRESS, json={"customerId": placed.customer.public_id,
                                        "orderNumber": placed.number,
                                        "address": f"  {NEW}  "}, headers=bearer(key))

    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {
        "success": True, "orderNumber": placed.number, "shippingAddress": NEW, "changed": True,
        "message": f"Alamat pengiriman pesanan {placed.number} telah diubah"}
    assert address_of(placed.id) == NEW
    [event] = edits(placed.id)
    prefix = db.session.scalar(select(ApiKey.prefix).where(ApiKey.key_hash == key_hash(key)))
    assert event.actor == f"bot:{prefix}"
    assert event.data == {"shipping_address": ["Jl. Sudirman 123", NEW]}


def test_given_the_same_address_then_nothing_is_recorded(client, make, burger, key):
    placed = make.order(burger, items=[("FRIES", 1)], address=NEW)
    answer = client.post(ADDRESS, json={"phone": "081234567890", "orderNumber": placed.number,
                                        "address": NEW}, headers=bearer(key))
    assert answer.status_code == 200 and answer.get_json()["changed"] is False
    assert edits(placed.id) == []


@pytest.mark.parametrize("steps", [["ship"], ["ship", OrderStatus.DELIVERED],
                                   [OrderStatus.COMPLETED], [None]])
def test_given_an_order_shipped_or_done_then_409_and_the_address_stays(
        client, make, burger, key, steps):
    placed = make.order(burger, items=[("FRIES", 1)])
    order = db.session.get(Order, placed.id)
    if steps == [None]:
        transition(order, OrderStatus.CANCELLED, actor="test")
    else:
        transition(order, OrderStatus.PROCESSING, actor="test")
    for step in steps:
        if step == "ship":
            add_shipment(order, "jne", "JNE123456789", actor="test")
        elif step is not None:
            transition(order, step, actor="test")
    db.session.commit()

    answer = client.post(ADDRESS, json={"phone": "081234567890", "orderNumber": placed.number,
                                        "address": NEW}, headers=bearer(key))

    assert answer.status_code == 409, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["code"] == "transition_refused" and body["status"] == order.status.value
    assert body["contact"]["whatsapp"] == "081111111111" and "081111111111" in body["error"]
    assert address_of(placed.id) == "Jl. Sudirman 123" and edits(placed.id) == []


@pytest.mark.parametrize("address, status", [
    (None, 400), ("", 422), ("   ", 422), ("Jl. A", 422), ("x" * 501, 422),
    ("Jl. Merdeka\x00 No. 1, Jakarta", 422), (["Jl. Merdeka 1"], 400), (12345678901, 400),
])
def test_given_a_bad_address_then_refused_and_unchanged(client, make, burger, key, address,
                                                        status):
    placed = make.order(burger, items=[("FRIES", 1)])
    answer = client.post(ADDRESS, json={"phone": "081234567890", "orderNumber": placed.number,
                                        "address": address}, headers=bearer(key))
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert "address" in answer.get_json()["fields"]
    assert address_of(placed.id) == "Jl. Sudirman 123"


def test_given_a_multiline_address_then_its_line_breaks_are_kept(client, make, burger, key):
    placed = make.order(burger, items=[("FRIES", 1)])
    answer = client.post(ADDRESS, json={"phone": "081234567890", "orderNumber": placed.number,
                                        "address": "Jl. Kebon Jeruk 45\nJakarta Barat"},
                         headers=bearer(key))
    assert answer.status_code == 200
    assert address_of(placed.id) == "Jl. Kebon Jeruk 45\nJakarta Barat"


def test_given_another_customers_order_then_404_and_unchanged(client, make, burger, key):
    make.order(burger, items=[("FRIES", 1)], phone="081234567890")
    theirs = make.order(burger, items=[("FRIES", 1)], phone="081399998888", name="Sari")
    answer = client.post(ADDRESS, json={"phone": "081234567890", "orderNumber": theirs.number,
                                        "address": NEW}, headers=bearer(key))
    assert answer.status_code == 404 and answer.get_json()["error"] == "Pesanan tidak ditemukan."
    assert address_of(theirs.id) == "Jl. Sudirman 123"
