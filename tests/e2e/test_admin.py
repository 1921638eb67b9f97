"""An admin works an order in Chromium (seed 000's owner workflow): log in, open a pending
order, add a discount, move it to PROCESSING, mark it paid; the shopper's tracking page in
another browser shows it. Screenshots of the main screens on a laptop and a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, OrderStatus, PaymentStatus, Store
from shop.services.admin_users import save_admin
from shop.services.checkout import CheckoutRequest, place_order

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
EMAIL, PASSWORD = "kasir@burgerchina.test", "sandi-kasir-123"


@pytest.fixture
def order_and_admin(shop):
    """A shopper's Rp 65.000 order (picked up at the store: no fee) and an admin, committed."""
    with shop.app.app_context():
        store = db.session.scalar(select(Store).where(Store.slug == shop.slug))
        placed = place_order(store, CheckoutRequest(
            name="Budi Santoso", phone="081234567890", address="Jl. Sudirman No. 123, Jakarta",
            items=[("BRG-CHEESE", 2), ("FRIES", 1)], courier="Ambil di Toko",
            payment_method="bank_transfer", notes="Tanpa bawang ya"), base_url=shop.url)
        save_admin(EMAIL, password=PASSWORD, role="admin", stores=[store], name="Kasir Burger")
        db.session.commit()
        db.session.remove()
    return placed


def open_as(pages, viewport) -> Page:
    page = pages.open()
    page.set_viewport_size(viewport)
    return page


def sign_in(page: Page) -> None:
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1, h2").first).to_be_visible()
    assert "/admin/login" not in page.url


def test_admin_discounts_processes_and_marks_paid_and_the_shopper_sees_it(
        pages, shop, order_and_admin):
    placed = order_and_admin
    admin = open_as(pages, LAPTOP)
    sign_in(admin)
    pages.screenshot(admin, "laptop-dashboard")

    admin.goto("/admin/order/")
    admin.click(f"text={placed.number}")
    expect(admin.locator("#order-number")).to_have_text(placed.number)
    expect(admin.locator("#order-total")).to_contain_text("Rp 65.000")

    admin.click("#edit-order")
    admin.fill("#discount", "10000")
    admin.click("#save-order")
    expect(admin.locator("#order-total")).to_contain_text("Rp 55.000")

    admin.click("button[data-status=PROCESSING]")
    expect(admin.locator("button[data-status=SHIPPED]")).to_be_visible()

    # The demo store adds a unique code to transfers: the payment defaults to the amount due.
    assert placed.unique_code is not None
    expect(admin.locator("#pay-amount")).to_have_value(str(55000 + placed.unique_code))
    expect(admin.locator("#order-amount-due")).to_contain_text(
        f"Rp 55.{placed.unique_code:03d}")
    admin.click("#payment-form button[type=submit]")
    expect(admin.locator("#order-payments")).to_contain_text(f"Rp 55.{placed.unique_code:03d}")
    expect(admin.locator("#order-timeline")).to_contain_text("Diskon: Rp 0 → Rp 10.000")
    pages.screenshot(admin, "laptop-order-detail")

    shopper = pages.open()
    shopper.goto(f"/track/{placed.id}")
    expect(shopper.locator("#order-total")).to_have_text("Rp 55.000")
    expect(shopper.locator("#order-status")).to_have_attribute("data-status", "PROCESSING")
    expect(shopper.locator("#payment-status")).to_have_attribute("data-status", "PAID")
    expect(shopper.locator(".timeline li.current")).to_contain_text("Sedang Diproses")
    pages.screenshot(shopper, "phone-tracking-after-admin")

    with shop.app.app_context():
        order = db.session.get(Order, placed.id)
        assert (order.total, order.status, order.payment_status) == (
            55000, OrderStatus.PROCESSING, PaymentStatus.PAID)
        db.session.remove()
    assert pages.errors == [] and pages.dialogs == []


def test_screens_on_a_laptop_and_a_phone(pages, shop, order_and_admin):
    placed = order_and_admin
    with shop.app.app_context():
        customer_id = db.session.get(Order, placed.id).customer_id
        db.session.remove()
    for name, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        page = open_as(pages, viewport)
        sign_in(page)
        for screen, path in (("dashboard", "/admin/"), ("order-list", "/admin/order/"),
                             ("order-detail", f"/admin/order/details/?id={placed.id}"),
                             ("customer-detail",
                              f"/admin/customer/details/?id={customer_id}")):
            answer = page.goto(path)
            assert answer.status == 200, path
            expect(page.locator("body")).to_contain_text("Budi Santoso")
            pages.screenshot(page, f"{name}-{screen}")
            # Nothing wider than the screen: the page never scrolls sideways.
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"] + 1, (screen, width)
    assert pages.errors == []
