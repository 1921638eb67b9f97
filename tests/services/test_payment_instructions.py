"""How to pay, per method, on the tracking page, in the confirmation message and in the bot's
payment check (services/payments.py): the exact amount with the unique code, the store's
accounts and wallets with copy buttons, what to prepare for COD; nothing once paid."""

from __future__ import annotations

import re

from sqlalchemy import update

from shop.extensions import db
from shop.models import Notification, Order, PaymentStatus, Store
from shop.services.bot_payments import verify_payment

from ..messages import texts

WALLET = {"provider": "GoPay", "number": "081234000111", "holder": "Burger China"}


def coded(store: Store, **fields) -> Store:
    db.session.execute(update(Store).where(Store.id == store.id)
                       .values(unique_code_enabled=True, e_wallets=[WALLET], **fields))
    db.session.commit()
    db.session.refresh(store)
    return store


def page(client, order_id: str, lang: str = "id") -> str:
    answer = client.get(f"/track/{order_id}?lang={lang}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def block(html: str) -> str:
    found = re.search(r'<div class="notice payment" id="payment-instructions".*?</div>', html,
                      re.S)
    assert found, "no payment instructions"
    return found.group(0)


def test_a_transfer_shows_the_exact_amount_with_its_code_and_copy_buttons(
        client, make, burger):
    coded(burger)
    placed = make.order(burger, items=[("COLA", 1)], payment_method="bank_transfer")

    html = page(client, placed.id)
    shown = block(html)

    assert placed.unique_code == 1
    assert "Transfer tepat Rp 8.001" in shown and "kode unik 1" in shown
    assert 'data-copy="8001"' in shown and 'data-copy="8800112233"' in shown
    assert "BCA" in shown and "a.n. Toko" in shown and f"#{placed.number}" in shown
    assert 'id="order-amount-due">Rp 8.001<' in html and 'id="order-total">Rp 8.000<' in html


def test_without_a_code_the_transfer_asks_for_the_total(client, make, burger):
    placed = make.order(burger, items=[("COLA", 1)], payment_method="bank_transfer")

    shown = block(page(client, placed.id))

    assert "Silakan transfer Rp 8.000" in shown and "kode unik" not in shown


def test_e_wallet_and_cod_say_where_and_what_to_prepare(client, make, burger):
    coded(burger)
    wallet = make.order(burger, items=[("COLA", 1)], payment_method="e_wallet")
    cod = make.order(burger, items=[("COLA", 2)], payment_method="cod")

    by_wallet, by_cash = block(page(client, wallet.id)), block(page(client, cod.id))

    assert "Kirim Rp 8.000" in by_wallet and "GoPay" in by_wallet
    assert 'data-copy="081234000111"' in by_wallet and wallet.unique_code is None
    assert "Bayar di tempat: Rp 16.000" in by_cash and "uang tunai Rp 16.000" in by_cash


def test_in_english_the_instructions_are_english(client, make, burger):
    coded(burger)
    placed = make.order(burger, items=[("COLA", 1)], payment_method="bank_transfer")

    shown = block(page(client, placed.id, "en"))

    assert "Transfer exactly Rp 8.001" in shown and "Transfer tepat" not in shown


def test_a_paid_order_shows_no_instructions(client, make, burger):
    placed = make.order(burger, items=[("COLA", 1)], payment_method="bank_transfer")
    db.session.execute(update(Order).where(Order.id == placed.id)
                       .values(payment_status=PaymentStatus.PAID))
    db.session.commit()

    assert 'id="payment-instructions"' not in page(client, placed.id)


def test_the_confirmation_message_says_how_much_to_transfer_and_where(make, burger):
    coded(burger)
    placed = make.order(burger, items=[("COLA", 2)], payment_method="bank_transfer")

    confirmation = texts(order_id=placed.id, template="order_confirmation")[0]

    assert "Transfer tepat Rp 16.001 (termasuk kode unik 1) ke:" in confirmation
    assert "- BCA 8800112233 a.n. Toko" in confirmation
    assert f"Cantumkan nomor pesanan #{placed.number} di berita transfer." in confirmation
    assert placed.confirmation_text == confirmation


def test_the_english_confirmation_is_english(make, burger):
    coded(burger)
    placed = make.order(burger, items=[("COLA", 1)], payment_method="cod", locale="en")

    confirmation = texts(order_id=placed.id, template="order_confirmation")[0]

    assert "Pay Rp 8.000 in cash to the courier" in confirmation
    assert "Bayar tunai" not in confirmation


def test_a_message_sent_after_payment_carries_no_instructions(make, burger):
    placed = make.order(burger, items=[("COLA", 1)], payment_method="bank_transfer")
    db.session.execute(update(Order).where(Order.id == placed.id)
                       .values(payment_status=PaymentStatus.PAID))
    db.session.commit()

    confirmation = texts(order_id=placed.id, template="order_confirmation")[0]

    assert "Silakan transfer" not in confirmation and "*Pembayaran:*" in confirmation


def test_the_bots_payment_check_asks_for_the_amount_with_the_code(make, burger):
    coded(burger)
    placed = make.order(burger, items=[("COLA", 1)], payment_method="bank_transfer")

    check = verify_payment(burger, order_ref=placed.number, phone="081234567890")

    assert str(check.amount_due) == "8001.00"
    assert "Rp 8.001 (transfer tepat, termasuk kode unik 1)" in check.instructions
    assert db.session.query(Notification).filter_by(order_id=placed.id).count() >= 1
