"""The tracking page's forms in Chromium, with CSRF on as in production: they carry no
session token, the browser's Fetch Metadata tells the shop's own page from another site. The
shopper sends a transfer proof from a page that set no cookie; another site's form, posted by
the same browser with the right last four digits, is refused and cancels nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, OrderStatus, PaymentStatus, Store
from shop.services.checkout import CheckoutRequest, place_order

pytestmark = pytest.mark.e2e

OTHER_SITE = "http://jahat.test/"


@pytest.fixture
def order(shop):
    """A PENDING bank transfer order of 081234567890."""
    with shop.app.app_context():
        store = db.session.scalar(select(Store).where(Store.slug == shop.slug))
        placed = place_order(store, CheckoutRequest(
            name="Budi Santoso", phone="081234567890", address="Jl. Sudirman No. 123, Jakarta",
            items=[("COLA", 2)], courier="JNE Regular", payment_method="bank_transfer"),
            base_url=shop.url)
        db.session.commit()
        db.session.remove()
    return placed


def stored(shop, order_id: str) -> Order:
    with shop.app.app_context():
        found = db.session.get(Order, order_id)
        db.session.expunge(found)
        db.session.remove()
    return found


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_shopper_sends_the_transfer_proof_from_a_page_that_set_no_cookie(
        pages, shop, order, tmp_path, javascript):
    photo = tmp_path / "bukti.png"
    image = io.BytesIO()
    Image.new("RGB", (300, 200), (20, 120, 200)).save(image, format="PNG")
    photo.write_bytes(image.getvalue())
    shopper = pages.open(javascript=javascript)

    shopper.goto(f"/track/{order.id}")
    assert shopper.context.cookies() == []
    shopper.set_input_files("#proof", str(photo))
    shopper.click("#proof-form button[type=submit]")

    expect(shopper.locator(".flash.ok")).to_contain_text("Bukti transfer sedang diperiksa")
    expect(shopper.locator("#proof-form")).to_have_count(0)
    assert stored(shop, order.id).payment_status == PaymentStatus.AWAITING_CONFIRMATION
    pages.screenshot(shopper, f"proof-sent-{'js' if javascript else 'nojs'}")
    assert pages.errors == [] and pages.dialogs == []


def test_another_sites_form_with_the_right_digits_cancels_nothing(pages, shop, order):
    browser = pages.open()
    action = f"{shop.url}/track/{order.id}/cancel"
    browser.route(OTHER_SITE, lambda route: route.fulfill(content_type="text/html", body=(
        f'<form method="post" action="{action}" id="forged">'
        '<input name="last_four" value="7890"><input name="reason" value="iseng">'
        '<button type="submit">Menang hadiah!</button></form>')))
    browser.goto(f"/track/{order.id}")  # the shopper's own visit: the same browser

    browser.goto(OTHER_SITE)
    browser.click("#forged button")

    expect(browser.locator("body")).to_contain_text("hanya bisa dikirim dari halaman toko")
    assert stored(shop, order.id).status == OrderStatus.PENDING
    pages.screenshot(browser, "forged-cancel-refused")
