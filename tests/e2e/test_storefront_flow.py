"""The whole shopper's path on a phone and a laptop (issue 14): search, filter by category, add
two products from the grid, a courier with a fee and the grand total, the order, its tracking
page, Back and Reload without a second order, the shopper's WhatsApp text, and cancelling
with the last four digits; a second shopper's change request that an admin then sees. With
JavaScript and without, at 360, 390 and 1280 px; no page is wider than the screen.

Runs in Debian's Chromium against the live server, on every database of the `app` fixture.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Order, OrderRequest, OrderStatus, Store
from shop.services.admin_users import save_admin

from .conftest import Pages, Shop

pytestmark = pytest.mark.e2e

WIDTHS = (360, 390, 1280)
STORE_WHATSAPP = "6281111111111"
ADMIN_EMAIL, ADMIN_PASSWORD = "kasir@burgerchina.test", "sandi-kasir-123"
SITI = {"name": "Siti Rahma", "phone": "0812-3456-7890", "address": "Jl. Kebon Jeruk No. 5",
        "district": "Kebon Jeruk", "city": "Jakarta Barat", "province": "DKI Jakarta",
        "postal_code": "11530"}
SITI_ADDRESS = "Jl. Kebon Jeruk No. 5, Kec. Kebon Jeruk, Jakarta Barat, DKI Jakarta 11530"


def fits(page: Page, width: int) -> None:
    """No sideways scrolling: the page is not wider than the screen."""
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{page.url} is {wide} px wide on a {width} px screen"


def orders(shop: Shop) -> list[Order]:
    with shop.app.app_context():
        found = db.session.scalars(select(Order).order_by(Order.created_at)).all()
        db.session.expunge_all()
        db.session.remove()
    return found


def card(page: Page, code: str):
    return page.locator(f"article.product[data-code='{code}']")


def tap_add(page: Page, code: str, *, javascript: bool) -> None:
    """One tap on a card's "Tambah"; without JavaScript the form posts and comes back."""
    button = card(page, code).locator("form.add-to-cart button[type=submit]")
    if javascript:
        button.click()
        expect(card(page, code).locator(".added")).not_to_be_empty()
    else:
        with page.expect_navigation():
            button.click()


def search_and_filter(page: Page, width: int) -> None:
    """The search box finds on the server; a category chip narrows the grid."""
    page.get_by_role("searchbox").fill("burger")
    with page.expect_navigation():
        page.get_by_role("button", name="Cari", exact=True).click()
    codes = page.locator("article.product").evaluate_all("cards => cards.map(c => c.dataset.code)")
    assert set(codes) == {"BRG-CHEESE", "BRG-DOUBLE", "BRG-CHICKEN"}, codes
    fits(page, width)
    with page.expect_navigation():
        page.locator("nav.chips").get_by_role("link", name="Semua").click()
    page.get_by_role("searchbox").fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="Cari", exact=True).click()
    with page.expect_navigation():
        page.locator("nav.chips").get_by_role("link", name="Snack").click()
    expect(page.locator("nav.chips a[aria-current=page]")).to_have_text("Snack")
    codes = page.locator("article.product").evaluate_all("cards => cards.map(c => c.dataset.code)")
    assert set(codes) == {"FRIES", "NUGGET"}, codes
    with page.expect_navigation():
        page.locator("nav.chips").get_by_role("link", name="Semua").click()


def fill_checkout(page: Page, javascript: bool) -> None:
    """The shopper's details, the address in parts, JNE (Rp 15.000) and a bank transfer."""
    for field in ("name", "address", "district", "city", "postal_code"):
        page.locator(f"#{field}").fill(SITI[field])
    page.locator("#phone").fill(SITI["phone"])
    page.locator("#province").select_option(SITI["province"])
    jne = page.locator("label.choice", has_text="JNE Regular")
    expect(jne).to_contain_text("Rp 15.000")
    expect(jne).to_contain_text("Total Rp 55.000")  # Rp 40.000 + Rp 15.000, also without JS
    jne.click()
    if javascript:
        expect(page.locator("#summary-fee")).to_have_text("Rp 15.000")
        expect(page.locator("#summary-total")).to_have_text("Rp 55.000")
    page.locator("label.choice", has_text="Transfer Bank").click()


def place(page: Page) -> int:
    """Click "Kirim Pesanan": the answer is a 303 to the order's page, then that page."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/checkout")
    ) as answer:
        page.get_by_role("button", name="Kirim Pesanan").click()
    page.wait_for_load_state()
    return answer.value.status


def check_whatsapp_text(page: Page, number: str, tracking_url: str) -> None:
    """The wa.me button goes to the store with the shopper's own words."""
    href = page.locator("#whatsapp-button").get_attribute("href")
    assert href.startswith(f"https://wa.me/{STORE_WHATSAPP}?text=")
    text = parse_qs(urlsplit(href).query)["text"][0]
    assert text.startswith(f"Halo Burger China, saya sudah memesan #{number}.")
    for line in ("1x Burger Cheese - Rp 25.000", "1x French Fries - Rp 15.000",
                 "Ongkir: Rp 15.000", "Total: Rp 55.000", f"Alamat: {SITI_ADDRESS}",
                 "Kurir: JNE Regular", "Pembayaran: Transfer Bank BCA",
                 f"Lacak pesanan: {tracking_url}"):
        assert line in text, (line, text)
    assert "Terima kasih sudah berbelanja" not in text  # not the store's voice


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_shopper_finds_orders_tracks_and_cancels(shop: Shop, pages: Pages, width, javascript):
    page = pages.open(javascript=javascript)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(shop.store_path)
    expect(page.locator("#cart-bar")).to_be_hidden()
    search_and_filter(page, width)
    fits(page, width)

    tap_add(page, "BRG-CHEESE", javascript=javascript)
    tap_add(page, "FRIES", javascript=javascript)
    expect(page.locator("#cart-bar")).to_be_visible()
    expect(page.locator("#cart-bar-text")).to_contain_text("Rp 40.000")
    expect(page.locator("#cart-count")).to_have_text("2")
    bar = page.locator("#cart-bar").bounding_box()
    assert bar["y"] + bar["height"] <= 900 + 1  # the cart stays on screen
    pages.screenshot(page, "1-store")

    page.locator("#cart-bar").get_by_role("link").click()
    expect(page).to_have_url(shop.url + shop.store_path + "/checkout")
    fill_checkout(page, javascript)
    fits(page, width)
    pages.screenshot(page, "2-checkout")

    assert place(page) == 303
    expect(page).to_have_url(re.compile(r"/track/[a-z0-9]{25,32}$"))
    expect(page.locator("#thanks")).to_contain_text("Terima kasih! Pesanan Anda sudah kami terima.")
    tracking_url = page.locator("#tracking-link").input_value()
    assert tracking_url == page.url
    number = page.locator("#order-number").inner_text().lstrip("#")
    expect(page.locator("#shipping-fee")).to_have_text("Rp 15.000")
    expect(page.locator("#order-total")).to_have_text("Rp 55.000")
    expect(page.locator("#recipient-address")).to_have_text(SITI_ADDRESS)
    expect(page.get_by_text("BCA 1234567890")).to_be_visible()  # how to pay
    check_whatsapp_text(page, number, tracking_url)
    fits(page, width)
    pages.screenshot(page, "3-tracking")

    page.go_back()  # the checkout page again, fetched anew: an empty cart, no form resent
    expect(page).to_have_url(shop.url + shop.store_path + "/checkout")
    expect(page.get_by_text("Keranjang masih kosong.")).to_be_visible()
    page.go_forward()
    page.reload()
    expect(page.locator("#order-number")).to_have_text(f"#{number}")
    assert len(orders(shop)) == 1 and pages.dialogs == []

    page.locator("#cancel-order summary").click()  # <details>: no script needed
    page.locator("#cancel-last-four").fill("1234")  # not Siti's number
    with page.expect_navigation():
        page.locator("#confirm-cancel").click()
    expect(page.locator(".flash.error")).to_be_visible()
    assert orders(shop)[0].status == OrderStatus.PENDING
    page.locator("#cancel-order summary").click()
    page.locator("#cancel-last-four").fill("7890")
    with page.expect_navigation():
        page.locator("#confirm-cancel").click()
    expect(page.locator("#order-status")).to_have_attribute("data-status", "CANCELLED")
    fits(page, width)
    pages.screenshot(page, "4-cancelled")
    assert [o.status for o in orders(shop)] == [OrderStatus.CANCELLED]
    assert pages.errors == []


def test_a_second_shoppers_change_request_is_seen_by_an_admin(shop: Shop, pages: Pages):
    with shop.app.app_context():
        store = db.session.scalar(select(Store).where(Store.slug == shop.slug))
        save_admin(ADMIN_EMAIL, password=ADMIN_PASSWORD, role="admin", stores=[store],
                   name="Kasir Burger")
        db.session.commit()
        db.session.remove()
    page = pages.open()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(shop.store_path)
    tap_add(page, "COLA", javascript=True)
    page.locator("#cart-bar").get_by_role("link").click()
    fill_checkout_other(page)
    assert place(page) == 303

    page.locator("#request-change summary").click()
    page.select_option("#change-topic", "address")
    page.fill("#change-message", "Kirim ke kantor saja: Jl. Thamrin No. 5")
    page.fill("#change-last-four", "4321")
    with page.expect_navigation():
        page.locator("#send-request").click()
    expect(page.locator("#order-requests")).to_contain_text("Jl. Thamrin No. 5")
    fits(page, 390)
    pages.screenshot(page, "1-request")

    admin = pages.open()
    admin.set_viewport_size({"width": 1280, "height": 900})
    admin.goto("/admin/")
    admin.fill("#email", ADMIN_EMAIL)
    admin.fill("#password", ADMIN_PASSWORD)
    admin.click("button[type=submit]")
    expect(admin.locator("#open-requests")).to_contain_text("1 permintaan pelanggan")
    admin.click("#open-requests a")
    expect(admin.locator("body")).to_contain_text("Kirim ke kantor saja: Jl. Thamrin No. 5")
    pages.screenshot(admin, "2-admin")
    with shop.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderRequest)) == 1
        db.session.remove()


def fill_checkout_other(page: Page) -> None:
    page.locator("#name").fill("Andi Wijaya")
    page.locator("#phone").fill("0812 9876 4321")
    page.locator("#address").fill("Jl. Merdeka 1")
    page.locator("#district").fill("Gambir")
    page.locator("#city").fill("Jakarta Pusat")
    page.locator("#province").select_option("DKI Jakarta")
    page.locator("label.choice", has_text="SiCepat REG").click()
