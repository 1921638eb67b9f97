"""POST /api/bot/order/track (seed 002's track_order): the customer's order with its parcel,
the carrier's tracking link and the status, in seed 002's shape. The key decides the store,
`customerId` or `phone` the customer: another customer's order, another store's and an
unknown number answer the same 404, revealing nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shop.extensions import db
from shop.models import Order, OrderStatus
from shop.services.api_keys import create_api_key
from shop.services.bot_tools import track_order
from shop.services.orders import transition
from shop.services.shipping import add_shipment

TRACK = "/api/bot/order/track"


def new_key(store) -> str:
    _, key = create_api_key(store, name="Chatbot", actor="test")
    db.session.commit()
    return key


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def shipped_order(make, store, phone="081234567890", number="JNE123456789"):
    """Seed 002's order: shipped with JNE, in transit in Jakarta, due on 26 November."""
    placed = make.order(store, items=[("BRG-CHEESE", 2)], phone=phone)
    order = db.session.get(Order, placed.id)
    transition(order, OrderStatus.PROCESSING, actor="test")
    parcel = add_shipment(order, "jne", number, actor="test")
    parcel.current_location = "Jakarta"
    parcel.estimated_delivery = datetime(2025, 11, 26, tzinfo=UTC)
    db.session.commit()
    return placed


@pytest.fixture
def key(burger):
    return new_key(burger)


def test_given_a_shipped_order_then_track_answers_seed_002s_shape(client, make, burger, key):
    placed = shipped_order(make, burger)

    answer = client.post(TRACK, json={"customerId": placed.customer.public_id,
                                      "orderNumber": placed.number}, headers=bearer(key))

    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["success"] is True and body["orderStatus"] == "SHIPPED"
    tracking = body["tracking"]
    assert tracking["orderNumber"] == placed.number
    assert tracking["trackingNumber"] == "JNE123456789" and tracking["carrier"] == "jne"
    assert tracking["carrierName"] == "JNE"
    assert tracking["trackingUrl"] == "https://www.jne.co.id/tracking-package?awb=JNE123456789"
    assert tracking["status"] == "IN_TRANSIT" and tracking["currentLocation"] == "Jakarta"
    assert tracking["estimatedDelivery"] == "2025-11-26T00:00:00Z"
    assert body["order"]["orderNumber"] == placed.number
    assert body["order"]["total"] == "50000.00" and body["order"]["status"] == "SHIPPED"
    assert [s["trackingNumber"] for s in body["shipments"]] == ["JNE123456789"]


def test_given_the_phone_in_any_form_then_the_same_order_is_found(client, make, burger, key):
    placed = shipped_order(make, burger)
    for phone in ("081234567890", "+62 812-3456-7890", "6281234567890"):
        answer = client.post(TRACK, json={"phone": phone, "orderNumber": placed.number.lower()},
                             headers=bearer(key))
        assert answer.status_code == 200 and answer.get_json()["tracking"]["carrier"] == "jne"


def test_given_the_order_id_instead_of_its_number_then_it_is_found(client, make, burger, key):
    placed = shipped_order(make, burger)
    answer = client.post(TRACK, json={"customerId": placed.customer.public_id,
                                      "orderId": placed.id}, headers=bearer(key))
    assert answer.status_code == 200 and answer.get_json()["order"]["id"] == placed.id


def test_given_an_order_not_yet_shipped_then_tracking_is_null(client, make, burger, key):
    placed = make.order(burger, items=[("FRIES", 1)])
    answer = client.post(TRACK, json={"customerId": placed.customer.public_id,
                                      "orderNumber": placed.number}, headers=bearer(key))
    body = answer.get_json()
    assert answer.status_code == 200 and body["tracking"] is None
    assert body["orderStatus"] == "PENDING" and body["shipments"] == []


def test_given_a_carrier_without_a_public_page_then_the_link_is_null(make, burger):
    placed = make.order(burger, items=[("FRIES", 1)])
    order = db.session.get(Order, placed.id)
    transition(order, OrderStatus.PROCESSING, actor="test")
    add_shipment(order, "gofresh", "GF-0001", actor="test")
    tracked = track_order(burger, order_ref=placed.number, customer_ref=placed.customer.public_id)
    assert tracked.shipment.carrier == "gofresh" and tracked.shipment.tracking_url is None


def not_found_body(answer) -> dict:
    assert answer.status_code == 404, answer.get_data(as_text=True)
    return answer.get_json()


def test_given_another_customers_order_then_the_same_not_found_as_an_unknown_one(
        client, make, burger, key):
    mine = make.order(burger, items=[("FRIES", 1)], phone="081234567890", name="Budi")
    theirs = shipped_order(make, burger, phone="081399998888", number="JNE999999999")

    asked = [
        {"customerId": mine.customer.public_id, "orderNumber": theirs.number},
        {"customerId": mine.customer.public_id, "orderId": theirs.id},
        {"phone": "081234567890", "orderNumber": theirs.number},
        {"customerId": mine.customer.public_id, "orderNumber": "ORD-20000101-999"},
        {"customerId": "cu_nobody", "orderNumber": theirs.number},
        {"phone": "081200000000", "orderNumber": theirs.number},
        # both given must both match: their order with my phone is still not mine
        {"customerId": theirs.customer.public_id, "phone": "081234567890",
         "orderNumber": theirs.number},
    ]
    bodies = [not_found_body(client.post(TRACK, json=b, headers=bearer(key))) for b in asked]

    assert all(b == bodies[0] for b in bodies)
    assert bodies[0] == {"success": False, "error": "Pesanan tidak ditemukan.",
                         "code": "not_found"}
    text = str(bodies)
    assert "JNE999999999" not in text and theirs.number not in text and "6281399998888" not in text


def test_given_a_key_of_another_store_then_its_orders_are_not_found(client, make, burger):
    placed = shipped_order(make, burger)
    other = make.store("toko-lain", name="Toko Lain")
    other_key = new_key(other)
    answer = client.post(TRACK, json={"customerId": placed.customer.public_id,
                                      "orderNumber": placed.number}, headers=bearer(other_key))
    assert not_found_body(answer)["code"] == "not_found"
    assert "JNE123456789" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("body, field, status", [
    ({"orderNumber": "ORD-1"}, "customerId", 422),
    ({"customerId": "", "phone": "", "orderNumber": "ORD-1"}, "customerId", 422),
    ({"customerId": 5, "orderNumber": "ORD-1"}, "customerId", 400),  # a wrong type: malformed
    ({"phone": "12", "orderNumber": "ORD-1"}, "phone", 422),
    ({"phone": ["0812"], "orderNumber": "ORD-1"}, "phone", 400),
])
def test_given_no_or_a_bad_customer_then_refused(client, burger, key, body, field, status):
    answer = client.post(TRACK, json=body, headers=bearer(key))
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.get_json()["success"] is False and field in answer.get_json()["fields"]


@pytest.mark.parametrize("order, status", [(None, 422), ("", 422), ("  ", 422), (7, 400),
                                           (["ORD-1"], 400)])
def test_given_no_or_a_bad_order_number_then_refused(client, make, burger, key, order, status):
    placed = make.order(burger, items=[("FRIES", 1)])
    answer = client.post(TRACK, json={"customerId": placed.customer.public_id,
                                      "orderNumber": order}, headers=bearer(key))
    assert answer.status_code == status and "orderNumber" in answer.get_json()["fields"]


@pytest.mark.parametrize("ref", ["x" * 500, "ORD-\x00-1", "cu_" + "z" * 100])
def test_given_hostile_references_then_not_found_not_an_error(client, make, burger, key, ref):
    placed = make.order(burger, items=[("FRIES", 1)])
    for body in ({"customerId": placed.customer.public_id, "orderNumber": ref},
                 {"customerId": ref, "orderNumber": placed.number}):
        answer = client.post(TRACK, json=body, headers=bearer(key))
        assert answer.status_code in (404, 422), answer.get_data(as_text=True)
