"""POST /api/bot/payment/verify (seed 002's verify_payment): a paid order answers the payment
as recorded (method, amount, when, the reference); an unpaid one answers Indonesian
instructions for its method from the store's bank accounts and e-wallets, or what to prepare
for COD; `detailed` adds the bill. Another customer's order is the same 404 as an unknown one."""

from __future__ import annotations

import pytest

from shop.extensions import db
from shop.models import Order, OrderStatus, Payment, PaymentRecordStatus, PaymentStatus
from shop.services.orders import set_payment_status, transition
from shop.services.payment_records import record_payment
from tests.seed002 import bearer, bot_key

VERIFY = "/api/bot/payment/verify"


@pytest.fixture
def key(burger):
    return bot_key(burger)


def verify(client, key, placed, **more):
    answer = client.post(VERIFY, json={"phone": "081234567890", "orderNumber": placed.number,
                                       **more}, headers=bearer(key))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_given_an_unpaid_bank_transfer_then_the_stores_accounts_and_the_amount(
        client, make, burger, key):
    placed = make.order(burger, items=[("BRG-CHEESE", 2)], payment_method="bank_transfer")

    body = verify(client, key, placed)

    assert body["isPaid"] is False and body["payment"] is None and body["order"] is None
    assert body["paymentStatus"] == "PENDING" and body["paymentMethod"] == "bank_transfer"
    text = body["instructions"]
    assert text.startswith("💳 *Instruksi Transfer Bank*")
    assert "Jumlah: Rp 50.000" in text and f"Referensi: {placed.number}" in text
    assert "- BCA: 8800112233 a.n. Toko" in text
    assert placed.id not in text  # the tracking link (the order's id) is never given


def test_given_detailed_then_the_bill_with_what_is_due(client, make, burger, key):
    placed = make.order(burger, items=[("BRG-CHEESE", 2), ("COLA", 1)],
                        payment_method="bank_transfer")

    bill = verify(client, key, placed, detailed=True)["order"]

    assert bill["total"] == "58000.00" and bill["amountPaid"] == "0.00"
    assert bill["amountDue"] == "58000.00" and bill["isDue"] is True
    assert bill["items"] == [
        {"productId": "BRG-CHEESE", "productName": "Burger Cheese", "quantity": 2,
         "unitPrice": "25000.00", "subtotal": "50000.00"},
        {"productId": "COLA", "productName": "Cola", "quantity": 1, "unitPrice": "8000.00",
         "subtotal": "8000.00"}]
    assert bill["status"] == "PENDING" and bill["paymentMethod"] == "bank_transfer"


def test_given_an_e_wallet_order_then_the_stores_wallets(client, make, key):
    store = make.store("dompet", e_wallets=[{"provider": "GoPay", "number": "081299990000",
                                             "holder": "Toko Dompet"}])
    make.product(store, "TEH", "5000")
    placed = make.order(store, items=[("TEH", 3)], payment_method="e_wallet")
    text = verify(client, bot_key(store), placed)["instructions"]
    assert "E-Wallet" in text and "- GoPay: 081299990000 a.n. Toko Dompet" in text
    assert "Rp 15.000" in text


def test_given_a_store_without_wallets_then_it_says_to_ask_on_whatsapp(client, make, burger,
                                                                       key):
    placed = make.order(burger, items=[("FRIES", 1)], payment_method="e_wallet")
    text = verify(client, key, placed)["instructions"]
    assert "belum tercantum" in text and "081111111111" in text


def test_given_cod_then_what_to_prepare(client, make, burger, key):
    placed = make.order(burger, items=[("FRIES", 2)], payment_method="cod")
    text = verify(client, key, placed)["instructions"]
    assert "COD" in text and "uang tunai Rp 30.000" in text and "kurir" in text


def test_given_a_proof_under_review_then_it_says_it_is_being_checked(client, make, burger, key):
    placed = make.order(burger, items=[("FRIES", 1)], payment_method="bank_transfer")
    set_payment_status(db.session.get(Order, placed.id), PaymentStatus.AWAITING_CONFIRMATION,
                       actor="customer")
    db.session.commit()
    body = verify(client, key, placed)
    assert body["isPaid"] is False and body["paymentStatus"] == "AWAITING_CONFIRMATION"
    assert "sedang diperiksa" in body["instructions"]


def test_given_a_rejected_proof_then_the_reason_before_the_instructions(client, make, burger,
                                                                        key):
    placed = make.order(burger, items=[("FRIES", 1)], payment_method="bank_transfer")
    db.session.add(Payment(order_id=placed.id, amount=15000, status=PaymentRecordStatus.REJECTED,
                           note="Nominal tidak sesuai", actor="customer"))
    db.session.commit()
    text = verify(client, key, placed)["instructions"]
    assert text.startswith("⚠️ Bukti pembayaran sebelumnya ditolak: Nominal tidak sesuai")
    assert "BCA: 8800112233" in text


def test_given_a_recorded_payment_then_its_details(client, make, burger, key):
    placed = make.order(burger, items=[("FRIES", 1)], payment_method="bank_transfer")
    record_payment(db.session.get(Order, placed.id), method="e_wallet", amount="15000",
                   reference="GPY-77", actor="admin:a@b.c")
    db.session.commit()

    body = verify(client, key, placed, detailed=True)

    assert body["isPaid"] is True and body["instructions"] is None
    payment = body["payment"]
    assert payment["status"] == "COMPLETED" and payment["method"] == "e_wallet"
    assert payment["amount"] == "15000.00" and payment["transactionId"] == "GPY-77"
    assert payment["paidAt"].endswith("Z")
    assert body["order"]["amountDue"] == "0.00" and body["order"]["isDue"] is False


def test_given_paid_without_a_record_then_the_order_total_and_when(client, make, burger, key):
    placed = make.order(burger, items=[("FRIES", 1)], payment_method="cod")
    set_payment_status(db.session.get(Order, placed.id), PaymentStatus.PAID, actor="admin:x")
    db.session.commit()
    payment = verify(client, key, placed)["payment"]
    assert payment["amount"] == "15000.00" and payment["method"] == "cod"
    assert payment["transactionId"] is None and payment["paidAt"].endswith("Z")


def test_given_a_cancelled_unpaid_order_then_nothing_to_pay(client, make, burger, key):
    placed = make.order(burger, items=[("FRIES", 1)], payment_method="bank_transfer")
    transition(db.session.get(Order, placed.id), OrderStatus.CANCELLED, actor="test")
    db.session.commit()
    body = verify(client, key, placed, detailed=True)
    assert "tidak perlu dibayar" in body["instructions"] and "BCA" not in body["instructions"]
    assert body["order"]["amountDue"] == "0.00"


def test_given_another_customers_order_then_404_revealing_nothing(client, make, burger, key):
    theirs = make.order(burger, items=[("FRIES", 1)], phone="081399998888", name="Sari",
                        payment_method="bank_transfer")
    make.order(burger, items=[("FRIES", 1)], phone="081234567890")
    answer = client.post(VERIFY, json={"phone": "081234567890", "orderNumber": theirs.number},
                         headers=bearer(key))
    assert answer.status_code == 404
    assert answer.get_json() == {"success": False, "error": "Pesanan tidak ditemukan.",
                                 "code": "not_found"}


@pytest.mark.parametrize("body, field, status", [
    ({"phone": "081234567890"}, "orderNumber", 422),
    ({"phone": "081234567890", "orderNumber": "X", "detailed": "maybe"}, "detailed", 400),
    ({"orderNumber": "X"}, "customerId", 422),
])
def test_given_bad_arguments_then_refused(client, make, burger, key, body, field, status):
    make.order(burger, items=[("FRIES", 1)])
    answer = client.post(VERIFY, json=body, headers=bearer(key))
    assert answer.status_code == status and field in answer.get_json()["fields"]
