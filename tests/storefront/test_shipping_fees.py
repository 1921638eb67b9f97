"""Shipping fees: a flat fee per courier, free from an amount, or "ongkir dikonfirmasi admin";
shown with the grand total before "Kirim Pesanan", charged on the order, set by an admin."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from shop.errors import InvalidInput
from shop.extensions import db
from shop.models import Notification, Order, Store
from shop.services.shipping_fees import ShippingQuote, clean_shipping_rates, quote_shipping
from tests.storefront.test_checkout_page import BUDI, CHECKOUT, Page, add, placed, submit

RATES = [{"courier": "JNE Regular", "fee": "15000.00", "free_from": "100000.00"},
         {"courier": "SiCepat REG", "fee": "0.00", "free_from": None}]


@pytest.fixture
def priced(burger):
    """Burger China with couriers: JNE Rp 15.000 (free from Rp 100.000), SiCepat free, and
    GoSend without a rate (confirmed by an admin)."""
    store = db.session.get(Store, burger.id)
    store.couriers = ["JNE Regular", "SiCepat REG", "GoSend"]
    store.shipping_rates = RATES
    db.session.commit()
    return store


def orders() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(("courier", "amount", "quote"), [
    ("JNE Regular", D("65000"), ShippingQuote(fee=D("15000.00"))),
    ("JNE Regular", D("100000"), ShippingQuote(free=True)),
    ("SiCepat REG", D("65000"), ShippingQuote(fee=D("0.00"))),
    ("GoSend", D("65000"), ShippingQuote(pending=True)),
    (None, D("65000"), ShippingQuote()),
])
def test_a_couriers_fee_for_an_amount(priced, courier, amount, quote):
    assert quote_shipping(priced, courier, amount) == quote


def test_a_store_without_a_courier_list_charges_no_fee(make):
    store = make.store("warung", couriers=[])

    assert quote_shipping(store, "Ojek Pak Budi", D("50000")) == ShippingQuote()


@pytest.mark.parametrize(("rows", "message"), [
    ([{"courier": "Kuda Express", "fee": "1000"}], "Kurir Kuda Express tidak ada di daftar"),
    ([{"courier": "JNE Regular", "fee": "lima ribu"}], "Ongkos kirim JNE Regular tidak valid."),
    ([{"courier": "JNE Regular", "fee": "-5"}], "Ongkos kirim JNE Regular tidak valid."),
    ([{"courier": "JNE Regular", "fee": "1000", "free_from": "x"}],
     "Ongkos kirim JNE Regular tidak valid."),
])
def test_wrong_rates_are_refused(rows, message):
    with pytest.raises(InvalidInput) as refused:
        clean_shipping_rates(["JNE Regular"], rows)

    assert message in refused.value.message


def test_rates_are_kept_as_money_and_an_empty_fee_means_confirmed_by_an_admin():
    assert clean_shipping_rates(["JNE", "GoSend"], [
        {"courier": "JNE", "fee": "15.000", "free_from": "200000"},
        {"courier": "GoSend", "fee": "", "free_from": ""}]) == [
        {"courier": "JNE", "fee": "15000.00", "free_from": "200000.00"}]


# --- the checkout page ----------------------------------------------------------------------


def test_each_courier_shows_its_fee_and_the_grand_total_before_ordering(client, priced):
    add(client, "BRG-CHEESE", 2)
    add(client, "FRIES", 1)

    html = client.get(CHECKOUT).get_data(as_text=True)

    couriers = re.findall(
        r'name="courier" value="([^"]+)"[^>]*data-fee-text="([^"]+)"', html, re.S)
    assert couriers == [("JNE Regular", "Rp 15.000"), ("SiCepat REG", "Gratis"),
                        ("GoSend", "dikonfirmasi admin")]
    choices = [" ".join(re.sub(r"<[^>]+>", " ", c).split())
               for c in re.findall(r'<label class="choice">(.*?)</label>', html, re.S)][:3]
    assert choices == ["JNE Regular Ongkir Rp 15.000 Total Rp 80.000",
                       "SiCepat REG Gratis ongkir Total Rp 65.000",
                       "GoSend Ongkir dikonfirmasi admin setelah pesanan masuk Total Rp 65.000"]
    page = Page(html)
    assert page.text_of("summary-fee") == "pilih kurir"
    assert page.text_of("summary-total") == "Rp 65.000"


def test_a_refused_form_shows_the_picked_couriers_fee_in_the_summary(client, priced):
    add(client, "BRG-CHEESE", 2)
    add(client, "FRIES", 1)

    page = Page(submit(client, phone="1", courier="JNE Regular").get_data(as_text=True))

    assert (page.text_of("summary-fee"), page.text_of("summary-total")) == (
        "Rp 15.000", "Rp 80.000")


def test_the_order_is_charged_the_couriers_fee(client, priced):
    add(client, "BRG-CHEESE", 2)
    add(client, "FRIES", 1)

    page = Page(placed(client, courier="JNE Regular").get_data(as_text=True))

    order = db.session.scalar(select(Order))
    assert (order.subtotal, order.shipping_fee, order.total, order.shipping_fee_pending) == (
        D("65000.00"), D("15000.00"), D("80000.00"), False)
    assert (page.text_of("shipping-fee"), page.text_of("order-total")) == (
        "Rp 15.000", "Rp 80.000")
    assert "Ongkos Kirim: Rp 15.000" in confirmation_text(order)


def test_the_fee_is_free_from_the_threshold(client, priced):
    add(client, "BRG-CHEESE", 4)  # Rp 100.000

    placed(client, courier="JNE Regular")

    order = db.session.scalar(select(Order))
    assert (order.shipping_fee, order.total) == (D("0.00"), D("100000.00"))


def test_a_courier_without_a_rate_is_confirmed_by_an_admin_who_then_tells_the_shopper(
    client, priced
):
    add(client, "FRIES", 1)

    page = placed(client, courier="GoSend").get_data(as_text=True)

    order = db.session.scalar(select(Order))
    assert (order.shipping_fee, order.total, order.shipping_fee_pending) == (
        D("0.00"), D("15000.00"), True)
    assert Page(page).text_of("shipping-fee") == "dikonfirmasi admin"
    assert "fee-pending" in Page(page).ids
    assert "Kurir: GoSend (ongkir dikonfirmasi admin)" in confirmation_text(order)


def test_one_courier_and_one_payment_method_are_chosen_already(client, make):
    store = make.store("warung", couriers=["Kurir Toko"], bank_accounts=[])
    make.product(store, "TEH", "5000")
    client.post("/store/warung/cart", data={"code": "TEH", "qty": 1})

    html = client.get("/store/warung/checkout").get_data(as_text=True)

    assert re.search(r'name="courier" value="Kurir Toko" checked', html)
    assert re.findall(r'name="payment_method" value="([^"]+)"( checked)?', html) == [
        ("cod", " checked")]


def test_the_json_checkout_charges_the_fee_too(client, priced):
    answer = client.post("/api/orders/create-from-checkout", json={
        "store": "burgerchina", **{k: v for k, v in BUDI.items() if v},
        "courier": "JNE Regular", "items": [{"code": "FRIES", "qty": 1}]})

    assert answer.status_code == 201
    order = answer.get_json()["order"]
    assert (order["shipping_fee"], order["total"], order["shipping_fee_pending"]) == (
        "15000.00", "30000.00", False)


def confirmation_text(order: Order) -> str:
    from tests.messages import text_of

    row = db.session.scalar(select(Notification).where(
        Notification.order_id == order.id, Notification.template == "order_confirmation",
        Notification.channel == "whatsapp"))
    return text_of(row)
