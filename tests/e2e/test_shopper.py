"""What a shopper clicks when something goes wrong or changes: a bad number on the checkout
(a landline, letters), and quantities changed on the checkout page without JavaScript. The
whole path (search, grid, fees, tracking, cancel) is in test_storefront_flow.py.

Runs in Debian's Chromium against the live server, on every database of the `app` fixture.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Customer, Notification, Order, Product

from .conftest import Pages, Shop

pytestmark = pytest.mark.e2e

SHOPPER = {
    "name": "Siti Rahma", "phone": "0812-3456-7890", "address": "Jl. Kebon Jeruk No. 5",
    "district": "Kebon Jeruk", "city": "Jakarta Barat", "postal_code": "11530",
    "email": "siti@example.com", "notes": "Burgernya tanpa bawang ya",
}


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
    for field in ("name", "phone", "address", "district", "city", "postal_code", "email",
                  "notes"):
        page.locator(f"#{field}").fill(data[field])
    page.locator("#province").select_option("DKI Jakarta")
    page.locator("label.choice", has_text="JNE Regular").click()
    page.locator("label.choice", has_text="Transfer Bank").click()


def _submit_checkout(page: Page) -> int:
    """Click "Kirim Pesanan" and return the HTTP status of the answer."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/checkout")
    ) as answer:
        page.get_by_role("button", name="Kirim Pesanan").click()
    page.wait_for_load_state()
    return answer.value.status


def _nothing_written(shop: Shop) -> None:
    with shop.app.app_context():
        for model in (Order, Customer, Notification):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
        stock = db.session.scalar(select(Product.stock).where(Product.code == "COLA"))
        assert stock == 50
        db.session.remove()


def _to_checkout(pages: Pages, page: Page, shop: Shop) -> None:
    page.goto(shop.store_path)
    _add_to_cart(page, "BRG-CHEESE", 2)
    _expect_cart(pages, page, 2, "Rp 50.000")
    _add_to_cart(page, "FRIES", 1)
    _expect_cart(pages, page, 3, "Rp 65.000")
    page.locator("#cart-link").click()
    expect(page).to_have_url(shop.url + shop.store_path + "/checkout")


def test_invalid_phone_shows_the_error_and_creates_nothing(shop: Shop, pages: Pages):
    """A bad WhatsApp number: the message under the field, the input kept, no order."""
    page = pages.open()
    _to_checkout(pages, page, shop)
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
    expect(page.locator("#name")).to_have_value(SHOPPER["name"])
    expect(page.locator("#address")).to_have_value(SHOPPER["address"])
    expect(page.locator("#province")).to_have_value("DKI Jakarta")
    expect(page.locator("input[name=courier][value='JNE Regular']")).to_be_checked()
    expect(page.locator("#checkout-total")).to_have_text("Rp 65.000")  # the cart is kept
    pages.screenshot(page, "1-checkout-error")
    _nothing_written(shop)

    # Corrected, the same form goes through: one order, nothing left of the failed attempt.
    phone.fill(SHOPPER["phone"])
    assert _submit_checkout(page) == 303
    expect(page.locator("#thanks")).to_be_visible()
    expect(page.locator("#order-total")).to_have_text("Rp 80.000")  # with JNE's Rp 15.000
    with shop.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        db.session.remove()
    assert pages.errors == [] and pages.dialogs == []


@pytest.mark.parametrize(("number", "message"), [
    ("+62 21 555 1234",
     "Nomor WhatsApp harus nomor HP, bukan telepon rumah atau kantor. Contoh: 081234567890"),
    ("0812ABCD7890", "Nomor WhatsApp hanya boleh berisi angka (spasi, +, - dan tanda kurung "
                     "boleh). Contoh: 081234567890"),
])
def test_a_landline_or_letters_are_refused_and_change_nothing(shop: Shop, pages: Pages,
                                                               number, message):
    page = pages.open()
    _to_checkout(pages, page, shop)
    _fill_checkout(page, phone=number)

    assert _submit_checkout(page) == 422
    expect(page.locator("#phone + .field-error")).to_have_text(message)
    _nothing_written(shop)


def test_quantities_change_on_the_checkout_page_without_javascript(shop: Shop, pages: Pages):
    """With JavaScript off every form posts normally: add, change a quantity, remove."""
    page = pages.open(javascript=False)
    page.goto(shop.store_path)
    with page.expect_navigation():  # a real form post and redirect, not a script
        _add_to_cart(page, "BRG-CHEESE", 1)
    _expect_cart(pages, page, 1, "Rp 25.000")
    with page.expect_navigation():
        _add_to_cart(page, "FRIES", 1)
    _expect_cart(pages, page, 2, "Rp 40.000")

    page.locator("#cart-link").click()
    line = page.locator("tr.cart-line[data-code='BRG-CHEESE']")
    line.locator("input.qty").fill("2")
    with page.expect_navigation():
        line.get_by_role("button", name="Ubah").click()
    expect(page).to_have_url(shop.url + shop.store_path + "/checkout")
    expect(page.locator("tr.cart-line[data-code='BRG-CHEESE'] input.qty")).to_have_value("2")
    expect(page.locator("#checkout-total")).to_have_text("Rp 65.000")
    with page.expect_navigation():
        page.locator("tr.cart-line[data-code='FRIES']").get_by_role("button").last.click()
    expect(page.locator("tr.cart-line")).to_have_count(1)
    expect(page.locator("#checkout-total")).to_have_text("Rp 50.000")
    _expect_cart(pages, page, 2, "Rp 50.000")
    pages.screenshot(page, "1-checkout")
