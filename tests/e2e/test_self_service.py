"""Self-service on the tracking page in Chromium at 390 px: a shopper asks for an address
change with the last four digits, an admin sees it, answers, and the shopper reads the
answer; another shopper cancels a PENDING unpaid order. Screenshots as artifacts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, OrderStatus, Product, Store
from shop.services.admin_users import save_admin
from shop.services.checkout import CheckoutRequest, place_order

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
EMAIL, PASSWORD = "kasir@burgerchina.test", "sandi-kasir-123"


@pytest.fixture
def orders(shop):
    """Two shoppers' PENDING unpaid orders (numbers ending 7890 and 4321) and an admin."""
    with shop.app.app_context():
        store = db.session.scalar(select(Store).where(Store.slug == shop.slug))
        placed = [place_order(store, CheckoutRequest(
            name=name, phone=phone, address="Jl. Sudirman No. 123, Jakarta",
            items=[("COLA", 2)], courier="JNE Regular", payment_method="bank_transfer"),
            base_url=shop.url) for name, phone in (("Budi Santoso", "081234567890"),
                                                   ("Siti Rahma", "081298764321"))]
        save_admin(EMAIL, password=PASSWORD, role="admin", stores=[store], name="Kasir Burger")
        db.session.commit()
        db.session.remove()
    return placed


def phone_page(pages) -> Page:
    page = pages.open()
    page.set_viewport_size(PHONE)
    return page


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{width} px wide"


def test_a_change_request_is_answered_by_the_admin_and_the_shopper_reads_it(
        pages, shop, orders):
    placed = orders[0]
    shopper = phone_page(pages)
    shopper.goto(f"/track/{placed.id}")
    shopper.click("#request-change summary")
    shopper.select_option("#change-topic", "address")
    shopper.fill("#change-message", "Tolong kirim ke kantor: Jl. Thamrin No. 5, Jakarta Pusat")
    expect(shopper.locator("label[for=change-last-four]")).to_have_text(
        "4 angka terakhir nomor WhatsApp pemesan")
    shopper.fill("#change-last-four", "1111")
    pages.screenshot(shopper, "1-request-form")
    shopper.click("#send-request")
    expect(shopper.locator(".flash.error")).to_contain_text("tidak cocok")
    expect(shopper.locator("#order-requests")).to_have_count(0)

    shopper.click("#request-change summary")
    shopper.select_option("#change-topic", "address")
    shopper.fill("#change-message", "Tolong kirim ke kantor: Jl. Thamrin No. 5, Jakarta Pusat")
    shopper.fill("#change-last-four", "7890")
    shopper.click("#send-request")
    expect(shopper.locator(".flash.ok")).to_contain_text("Permintaan Anda terkirim")
    expect(shopper.locator("#order-requests")).to_contain_text("Jl. Thamrin No. 5")
    expect(shopper.locator("#order-requests")).to_contain_text("Menunggu jawaban")
    fits(shopper)
    pages.screenshot(shopper, "2-request-sent")

    admin = pages.open()
    admin.set_viewport_size(LAPTOP)
    admin.goto("/admin/")
    expect(admin).to_have_url(re.compile(r"/admin/login"))
    admin.fill("#email", EMAIL)
    admin.fill("#password", PASSWORD)
    admin.click("button[type=submit]")
    expect(admin.locator("#open-requests")).to_contain_text("1 permintaan pelanggan")
    admin.click("#open-requests a")
    expect(admin.locator("body")).to_contain_text("Jl. Thamrin No. 5")
    pages.screenshot(admin, "3-admin-list")
    admin.goto(f"/admin/order/details/?id={placed.id}")
    expect(admin.locator("#order-requests")).to_contain_text("Jl. Thamrin No. 5")
    admin.locator("#order-requests textarea[name=answer]").fill(
        "Siap, paket dikirim ke kantor Anda.")
    admin.locator("#order-requests button[type=submit]").click()
    expect(admin.locator("#order-requests")).to_contain_text("Siap, paket dikirim ke kantor")
    expect(admin.locator("#order-requests textarea")).to_have_count(0)
    pages.screenshot(admin, "4-admin-answered")

    shopper.goto(f"/track/{placed.id}")
    expect(shopper.locator("#order-requests")).to_contain_text(
        "Siap, paket dikirim ke kantor Anda.")
    expect(shopper.locator("#order-requests")).to_contain_text("Sudah dijawab")
    fits(shopper)
    pages.screenshot(shopper, "5-answer-seen")
    assert pages.errors == [] and pages.dialogs == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_shopper_cancels_a_pending_unpaid_order_with_the_last_four(pages, shop, orders,
                                                                      javascript):
    placed = orders[1]
    shopper = pages.open(javascript=javascript)
    shopper.set_viewport_size(PHONE)
    shopper.goto(f"/track/{placed.id}")
    expect(shopper.locator("#cancel-form")).not_to_be_visible()  # behind the confirm step
    shopper.click("#cancel-order summary")
    expect(shopper.locator("#cancel-form")).to_be_visible()
    shopper.fill("#cancel-last-four", "4321")
    shopper.fill("#cancel-reason", "Salah pilih menu")
    fits(shopper)
    pages.screenshot(shopper, f"1-cancel-confirm-{'js' if javascript else 'nojs'}")
    shopper.click("#confirm-cancel")

    expect(shopper.locator(".flash.ok")).to_contain_text("Pesanan Anda sudah dibatalkan.")
    expect(shopper.locator("#order-status")).to_have_attribute("data-status", "CANCELLED")
    expect(shopper.locator("#order-status")).to_contain_text("Dibatalkan")
    expect(shopper.locator("#self-service")).to_have_count(0)
    fits(shopper)
    pages.screenshot(shopper, f"2-cancelled-{'js' if javascript else 'nojs'}")
    with shop.app.app_context():
        order = db.session.get(Order, placed.id)
        assert order.status == OrderStatus.CANCELLED
        cola = db.session.scalar(select(Product.stock).where(
            Product.store_id == order.store_id, Product.code == "COLA"))
        assert cola == 48  # 50 less the first shopper's 2: the cancelled 2 are back
        db.session.remove()
    assert pages.errors == [] and pages.dialogs == []
