"""A shopper pays by QRIS (issue 15): the demo store takes QRIS, the checkout offers it, and
the order's page shows the code with the amount due and the merchant; the code on the screen,
read back from a screenshot, is the store's QRIS turned dynamic with exactly that amount.
A bank transfer of the same store asks for the total plus its unique code."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, Store
from shop.services.qris import dynamic_payload

from .conftest import Pages, Shop
from .test_storefront_flow import SITI, fits, place, tap_add

pytestmark = pytest.mark.e2e


def checkout(page: Page, shop: Shop, method: str) -> None:
    page.goto(shop.store_path)
    tap_add(page, "BRG-CHEESE", javascript=True)
    page.locator("#cart-bar").get_by_role("link").click()
    for field in ("name", "address", "district", "city", "postal_code"):
        page.locator(f"#{field}").fill(SITI[field])
    page.locator("#phone").fill(SITI["phone"])
    page.locator("#province").select_option(SITI["province"])
    page.locator("label.choice", has_text="Ambil di Toko").click()
    page.locator("label.choice", has_text=method).click()
    assert place(page) == 303


def saved_order(shop: Shop) -> tuple[Order, str]:
    with shop.app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.created_at.desc())).first()
        static = db.session.scalar(select(Store.qris_payload).where(Store.slug == shop.slug))
        db.session.expunge_all()
        db.session.remove()
    return order, static


@pytest.mark.parametrize("width", [360, 1280])
def test_a_shopper_pays_by_qris_with_the_amount_in_the_code(shop: Shop, pages: Pages, width):
    page = pages.open()
    page.set_viewport_size({"width": width, "height": 900})

    checkout(page, shop, "QRIS")

    expect(page.locator("#payment-instructions")).to_have_attribute("data-method", "qris")
    expect(page.locator("#amount-due")).to_have_text("Bayar Rp 25.000 dengan QRIS")
    expect(page.locator("#qris figcaption")).to_contain_text("BURGER CHINA")
    expect(page.locator("#qris svg")).to_be_visible()
    fits(page, width)
    pages.screenshot(page, f"qris-{width}")
    order, static = saved_order(shop)
    assert order.payment_method == "qris" and order.unique_code is None
    shot = Image.open(io.BytesIO(page.locator("#qris svg").screenshot()))
    found = zxingcpp.read_barcodes(shot)
    assert [code.text for code in found] == [dynamic_payload(static, Decimal("25000"))]


def test_a_transfer_of_the_same_store_asks_for_the_total_and_its_code(shop: Shop,
                                                                    pages: Pages):
    page = pages.open()

    checkout(page, shop, "Transfer Bank")

    order, _static = saved_order(shop)
    assert order.unique_code is not None and order.amount_due == order.total + order.unique_code
    due = f"Rp {int(order.amount_due):,}".replace(",", ".")
    expect(page.locator("#amount-due")).to_have_text(f"Transfer tepat {due}")
    expect(page.locator("#unique-code")).to_contain_text(f"kode unik {order.unique_code}")
    copy = page.locator("#payment-instructions button[data-copy]").first
    expect(copy).to_be_visible()  # shown: Chromium has a clipboard
    pages.screenshot(page, "transfer-unique-code")
