"""What a shopper actually clicks: store page, cart, checkout, success page, tracking page.

Runs in Debian's Chromium against the live server, on every database of the `app` fixture.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Customer, Notification, Order, OrderStatus, PaymentStatus, Product

from .conftest import Pages, Shop

pytestmark = pytest.mark.e2e

STORE_WHATSAPP = "6281111111111"
SHOPPER = {
    "name": "Siti Rahma",
    "phone": "0812-3456-7890",
    "address": "Jl. Kebon Jeruk No. 5, Jakarta Barat",
    "email": "siti@example.com",
    "courier": "JNE Regular",
    "payment_method": "bank_transfer",
    "notes": "Burgernya tanpa bawang ya",
}
SHOPPER_PHONE = "6281234567890"  # SHOPPER["phone"] normalized


def _today_numbers() -> set[str]:
    """The first order number of today in the store's time zone (two around midnight)."""
    return {f"ORD-{datetime.now(ZoneInfo('Asia/Jakarta')):%Y%m%d}-001"}


def _product(page: Page, code: str):
    return page.locator(f"article.product[data-code='{code}']")


def _add_to_cart(page: Page, code: str, qty: int) -> None:
    form = _product(page, code).locator("form.add-to-cart")
    form.locator("input[name=qty]").fill(str(qty))
    form.get_by_role("button", name="Tambah").click()


def _expect_cart(pages: Pages, page: Page, count: int, total: str) -> None:
    """The header's cart summary; on failure, say what the shopper was shown instead."""
    try:
        expect(page.locator("#cart-count")).to_have_text(str(count))
        expect(page.locator("#cart-total")).to_have_text(total)
    except AssertionError as error:
        raise AssertionError(
            f"cart should show {count} · {total}; alert boxes shown: {pages.dialogs}, "
            f"script errors: {pages.errors}\n{error}"
        ) from None


def _fill_checkout(page: Page, **overrides: str) -> None:
    data = {**SHOPPER, **overrides}
    page.get_by_label("Nama").fill(data["name"])
    page.get_by_label("Nomor WhatsApp").fill(data["phone"])
    page.get_by_label("Alamat").fill(data["address"])
    page.get_by_label("Email").fill(data["email"])
    page.get_by_label("Kurir").select_option(data["courier"])
    page.get_by_label("Metode Bayar").select_option(data["payment_method"])
    page.get_by_label("Catatan").fill(data["notes"])


def _submit_checkout(page: Page) -> int:
    """Click "Kirim Pesanan" and return the HTTP status of the answer."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/checkout")
    ) as answer:
        page.get_by_role("button", name="Kirim Pesanan").click()
    page.wait_for_load_state()
    return answer.value.status


def _check_success_page(page: Page, shop: Shop, numbers: set[str]) -> tuple[str, str]:
    """The success page: number, lines, total, tracking link, WhatsApp button."""
    expect(page.get_by_role("heading", name=re.compile("Pesanan Berhasil Dibuat"))).to_be_visible()
    number = page.locator("#order-number").inner_text().lstrip("#")
    assert number in numbers
    expect(page.locator("#order-total")).to_have_text("Rp 65.000")
    expect(page.get_by_role("cell", name="2x Burger Cheese")).to_be_visible()
    expect(page.get_by_role("cell", name="1x French Fries")).to_be_visible()
    expect(page.get_by_text("BCA 1234567890 a.n. Burger China")).to_be_visible()

    tracking_url = page.locator("#tracking-link").get_attribute("href")
    assert re.fullmatch(re.escape(shop.url) + r"/track/[a-z0-9]{25,32}", tracking_url)

    whatsapp = page.locator("#whatsapp-button")
    expect(whatsapp).to_be_visible()
    href = whatsapp.get_attribute("href")
    assert href.startswith(f"https://wa.me/{STORE_WHATSAPP}?text=")
    text = parse_qs(urlsplit(href).query)["text"][0]
    for expected in (
        f"#{number}",
        tracking_url,
        "2x Burger Cheese - Rp 50.000",
        "1x French Fries - Rp 15.000",
        "Rp 65.000",
        SHOPPER["name"],
        SHOPPER["address"],
        "Kurir: JNE Regular",
        "Transfer Bank BCA",
        SHOPPER["notes"],
    ):
        assert expected in text, expected
    return number, tracking_url


def _check_tracking_page(page: Page, number: str) -> None:
    """The tracking page of a new order: pending, unpaid, the right items and total."""
    expect(page.get_by_role("heading", name="Tracking Pesanan")).to_be_visible()
    expect(page.locator("#order-number")).to_have_text(f"#{number}")
    status = page.locator("#order-status")
    expect(status).to_have_attribute("data-status", OrderStatus.PENDING.value)
    expect(status).to_contain_text("Menunggu Konfirmasi")
    payment = page.locator("#payment-status")
    expect(payment).to_have_attribute("data-status", PaymentStatus.PENDING.value)
    expect(payment).to_contain_text("Menunggu Pembayaran")
    expect(payment).to_contain_text("Transfer Bank BCA")
    expect(page.locator("#order-total")).to_have_text("Rp 65.000")
    expect(page.get_by_role("cell", name="2x Burger Cheese")).to_be_visible()
    expect(page.get_by_role("cell", name="1x French Fries")).to_be_visible()
    expect(page.locator(".timeline li.current")).to_have_count(1)
    recipient = page.locator("#recipient")
    expect(recipient).to_contain_text(SHOPPER["name"])
    expect(recipient).to_contain_text(SHOPPER["address"])
    expect(recipient).not_to_contain_text("3456")  # the middle of the phone is masked
    contact = page.locator("#contact-store").get_attribute("href")
    assert contact.startswith(f"https://wa.me/{STORE_WHATSAPP}?text=")


def _check_database(shop: Shop, number: str, tracking_url: str) -> None:
    """Exactly one customer and one pending order of Rp 65.000 with the two lines."""
    with shop.app.app_context():
        orders = db.session.execute(select(Order)).scalars().all()
        customers = db.session.execute(select(Customer)).scalars().all()
        assert len(orders) == 1 and len(customers) == 1
        order, customer = orders[0], customers[0]
        assert order.number == number
        assert tracking_url.endswith(f"/track/{order.id}")
        assert order.total == Decimal("65000.00") and order.subtotal == Decimal("65000.00")
        assert order.status is OrderStatus.PENDING
        assert order.payment_status is PaymentStatus.PENDING
        assert {item.code: item.qty for item in order.items} == {"BRG-CHEESE": 2, "FRIES": 1}
        assert (order.courier, order.payment_method, order.notes) == (
            "JNE Regular",
            "bank_transfer",
            SHOPPER["notes"],
        )
        assert order.customer_id == customer.id
        assert (customer.name, customer.phone, customer.email) == (
            SHOPPER["name"],
            SHOPPER_PHONE,
            SHOPPER["email"],
        )
        assert customer.total_orders == 1
        db.session.remove()


def test_shopper_buys_two_products_and_tracks_the_order(shop: Shop, pages: Pages):
    """With JavaScript: the cart updates in place, checkout, success page, tracking page."""
    page = pages.open()
    page.goto(shop.store_path)
    expect(page.get_by_role("heading", name="Burger China", level=1)).to_be_visible()
    expect(_product(page, "BRG-CHEESE")).to_contain_text("Rp 25.000")
    expect(_product(page, "FRIES")).to_contain_text("Rp 15.000")
    _expect_cart(pages, page, 0, "Rp 0")
    expect(page.locator("#cart-bar")).to_be_hidden()  # no empty "Keranjang: 0 item" bar

    _add_to_cart(page, "BRG-CHEESE", 2)
    _expect_cart(pages, page, 2, "Rp 50.000")
    expect(page.locator("#cart-bar")).to_be_visible()
    _add_to_cart(page, "FRIES", 1)
    _expect_cart(pages, page, 3, "Rp 65.000")
    assert page.url == shop.url + shop.store_path  # added in place, no page load
    pages.screenshot(page, "1-store")

    page.locator("#cart-link").click()
    expect(page).to_have_url(shop.url + shop.store_path + "/checkout")
    expect(page.locator("tr.cart-line")).to_have_count(2)
    expect(page.locator("tr.cart-line[data-code='BRG-CHEESE'] input.qty")).to_have_value("2")
    expect(page.locator("tr.cart-line[data-code='FRIES'] input.qty")).to_have_value("1")
    expect(page.locator("#checkout-total")).to_have_text("Rp 65.000")
    _fill_checkout(page)
    pages.screenshot(page, "2-checkout")

    numbers = _today_numbers()
    assert _submit_checkout(page) == 200
    numbers |= _today_numbers()
    number, tracking_url = _check_success_page(page, shop, numbers)
    pages.screenshot(page, "3-success")

    with page.expect_navigation() as navigation:
        page.locator("#tracking-link").click()
    headers = navigation.value.headers
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    expect(page).to_have_url(tracking_url)
    _check_tracking_page(page, number)
    pages.screenshot(page, "4-tracking")

    page.goto(shop.store_path)  # the cart was emptied by the order
    _expect_cart(pages, page, 0, "Rp 0")
    assert pages.errors == [] and pages.dialogs == []
    _check_database(shop, number, tracking_url)


def test_purchase_works_without_javascript(shop: Shop, pages: Pages):
    """With JavaScript off every form posts normally: add, change a quantity, check out."""
    page = pages.open(javascript=False)
    page.goto(shop.store_path)
    _expect_cart(pages, page, 0, "Rp 0")

    with page.expect_navigation():  # a real form post and redirect, not a script
        _add_to_cart(page, "BRG-CHEESE", 1)
    expect(page.locator(".flash.ok")).to_have_text("Keranjang: 1 item, Rp 25.000")
    _expect_cart(pages, page, 1, "Rp 25.000")
    with page.expect_navigation():
        _add_to_cart(page, "FRIES", 1)
    _expect_cart(pages, page, 2, "Rp 40.000")
    pages.screenshot(page, "1-store")

    page.get_by_role("link", name="Checkout", exact=True).click()
    expect(page).to_have_url(shop.url + shop.store_path + "/checkout")
    line = page.locator("tr.cart-line[data-code='BRG-CHEESE']")
    line.locator("input.qty").fill("2")
    with page.expect_navigation():
        line.get_by_role("button", name="Ubah").click()
    expect(page).to_have_url(shop.url + shop.store_path + "/checkout")
    expect(page.locator("tr.cart-line[data-code='BRG-CHEESE'] input.qty")).to_have_value("2")
    expect(page.locator("#checkout-total")).to_have_text("Rp 65.000")
    _expect_cart(pages, page, 3, "Rp 65.000")
    _fill_checkout(page)
    pages.screenshot(page, "2-checkout")

    numbers = _today_numbers()
    assert _submit_checkout(page) == 200
    numbers |= _today_numbers()
    number, tracking_url = _check_success_page(page, shop, numbers)
    pages.screenshot(page, "3-success")

    page.locator("#tracking-link").click()
    expect(page).to_have_url(tracking_url)
    _check_tracking_page(page, number)
    pages.screenshot(page, "4-tracking")
    _check_database(shop, number, tracking_url)


def test_invalid_phone_shows_the_error_and_creates_nothing(shop: Shop, pages: Pages):
    """A bad WhatsApp number: the message under the field, the input kept, no order."""
    page = pages.open()
    page.goto(shop.store_path)
    _add_to_cart(page, "BRG-CHEESE", 2)
    _expect_cart(pages, page, 2, "Rp 50.000")
    _add_to_cart(page, "FRIES", 1)
    _expect_cart(pages, page, 3, "Rp 65.000")
    page.locator("#cart-link").click()
    _fill_checkout(page, phone="12345")

    assert _submit_checkout(page) == 422
    expect(page).to_have_url(shop.url + shop.store_path + "/checkout")
    phone = page.get_by_label("Nomor WhatsApp")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_value("12345")
    expect(page.locator("#phone + .field-error")).to_have_text(
        "Nomor WhatsApp tidak valid. Contoh: 081234567890"
    )
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.get_by_label("Nama")).to_have_value(SHOPPER["name"])
    expect(page.get_by_label("Alamat")).to_have_value(SHOPPER["address"])
    expect(page.locator("#checkout-total")).to_have_text("Rp 65.000")  # the cart is kept
    pages.screenshot(page, "1-checkout-error")

    with shop.app.app_context():
        for model in (Order, Customer, Notification):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
        stock = db.session.scalar(select(Product.stock).where(Product.code == "COLA"))
        assert stock == 50
        db.session.remove()

    # Corrected, the same form goes through: one order, nothing left of the failed attempt.
    phone.fill(SHOPPER["phone"])
    numbers = _today_numbers()
    assert _submit_checkout(page) == 200
    numbers |= _today_numbers()
    number, tracking_url = _check_success_page(page, shop, numbers)
    assert pages.errors == [] and pages.dialogs == []
    _check_database(shop, number, tracking_url)
