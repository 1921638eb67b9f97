"""Seed 002's test flows at the API level, on seed 002's own data (tests/seed002.py): "Mana
pesanan saya ORD-2025-001?" (track_order), "Sudah terbayar belum?" (verify_payment) and
"Apakah Kaos Basic Crewneck masih ada?" (check_inventory)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import OrderStatus, Payment, PaymentStatus, Product, Shipment
from tests import seed002
from tests.seed002 import bearer, bot_key


@pytest.fixture
def seed(make):
    return seed002.build(make)


@pytest.fixture
def key(seed):
    return bot_key(seed.store)


def test_given_the_seed_then_its_rows_are_seed_002s(seed):
    order = seed.order
    assert order.number == "ORD-2025-001" and order.status == OrderStatus.SHIPPED
    assert order.payment_status == PaymentStatus.PAID and str(order.total) == "150000.00"
    assert seed.customer.name == "Adi Mulyana" and seed.customer.phone == "6281234567890"
    payment = db.session.scalars(select(Payment).where(Payment.order_id == order.id)).one()
    assert payment.reference == "TRX-123456" and payment.method == "bank_transfer"
    parcel = db.session.scalars(select(Shipment).where(Shipment.order_id == order.id)).one()
    assert parcel.tracking_number == "JNE123456789" and parcel.current_location == "Jakarta"
    stock = {p.code: p.stock for p in db.session.scalars(
        select(Product).where(Product.store_id == seed.store.id))}
    assert stock == {"KAOS-001": 50, "CELANA-001": 30, "DRESS-001": 0}


def test_flow_1_mana_pesanan_saya_answers_carrier_tracking_number_and_estimate(
        client, seed, key):
    answer = client.post("/api/bot/order/track", json={
        "phone": seed002.CUSTOMER_PHONE, "orderNumber": "ORD-2025-001"}, headers=bearer(key))

    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["orderStatus"] == "SHIPPED"
    assert body["tracking"] == {
        "orderNumber": "ORD-2025-001", "trackingNumber": "JNE123456789", "carrier": "jne",
        "carrierName": "JNE",
        "trackingUrl": "https://www.jne.co.id/tracking-package?awb=JNE123456789",
        "status": "IN_TRANSIT", "currentLocation": "Jakarta",
        "estimatedDelivery": "2025-11-26T00:00:00Z", "shippedAt": "2025-11-21T09:00:00Z"}
    assert body["order"]["total"] == "150000.00"


def test_flow_2_sudah_terbayar_answers_the_bank_transfer_with_its_reference(
        client, seed, key):
    answer = client.post("/api/bot/payment/verify", json={
        "customerId": seed.customer_id, "orderNumber": "ORD-2025-001", "detailed": True},
        headers=bearer(key))

    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["isPaid"] is True and body["instructions"] is None
    assert body["payment"] == {"status": "COMPLETED", "method": "bank_transfer",
                               "amount": "150000.00", "paidAt": "2025-11-20T15:30:00Z",
                               "transactionId": "TRX-123456"}
    bill = body["order"]
    assert bill["total"] == "150000.00" and bill["shippingFee"] == "12000.00"
    assert bill["amountDue"] == "0.00"
    assert [(i["productId"], i["productName"]) for i in bill["items"]] == [
        ("KAOS-001", "Kaos Basic Crewneck"), ("CELANA-001", "Celana Chino Slim Fit")]


def test_flow_3_apakah_kaos_masih_ada_answers_the_stock(client, seed, key):
    answer = client.post("/api/bot/inventory/check", json={
        "productIds": ["Kaos Basic Crewneck", "CELANA-001", "DRESS-001"],
        "quantities": [2, 1, 1]}, headers=bearer(key))

    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["totalProducts"] == 3 and body["productsInStock"] == 2
    kaos, celana, dress = body["stocks"]
    assert (kaos["productId"], kaos["productName"], kaos["quantity"], kaos["inStock"],
            kaos["canOrder"]) == ("KAOS-001", "Kaos Basic Crewneck", 50, True, True)
    assert celana["quantity"] == 30 and celana["productName"] == "Celana Chino Slim Fit"
    assert (dress["productName"], dress["quantity"], dress["inStock"], dress["canOrder"]) == (
        "Dress Midi Floral", 0, False, False)
