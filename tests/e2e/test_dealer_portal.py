"""A dealer shop orders parts in Chromium (seed 004): it signs in with the WhatsApp code
taken from the stand-in gateway, adds two parts, checks out; an admin approves the order in
the back office; the legacy job writes the SO; the dealer sees the order approved with its SO
number. Screenshots of each step on a phone (dealer) and a laptop (admin)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shop.extensions import db
from shop.models import LegacySalesOrder, LegacySalesOrderLine, LegacyState, Order, OrderStatus
from shop.services.admin_users import save_admin
from shop.services.otp_limits import MemoryLimits, OtpRules

from ..factories import Factories
from ..jobs.conftest import Gateway, serving_gateway

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1366, "height": 900}
EMAIL, PASSWORD = "approver@pmo.test", "sandi-approver-123"
SHOP_PHONE = "628123456789"


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    """The stand-in WhatsApp gateway: records what the shop sends (the login code)."""
    with serving_gateway() as recorder:
        yield recorder


@pytest.fixture
def distributor(shop, gateway):
    """The seed 004 distributor with its parts, TK001 Toko Jaya Motor and an admin of it;
    messages go to the stand-in gateway (jobs run right after each commit)."""
    app = shop.app
    saved = {k: app.config[k] for k in ("WHATSAPP_PROVIDER", "WHATSAPP_GATEWAY_URL")}
    app.config.update(WHATSAPP_PROVIDER="http", WHATSAPP_GATEWAY_URL=gateway.url)
    app.extensions["shop_otp_limits"] = MemoryLimits(OtpRules.from_config(app.config))
    with app.app_context():
        make = Factories()
        dealer = make.dealer_shop()
        save_admin(EMAIL, password=PASSWORD, role="admin", stores=[dealer.store],
                   name="Admin PMO")
        db.session.commit()
        db.session.remove()
    try:
        yield
    finally:
        app.config.update(saved)
        app.extensions.pop("shop_otp_limits", None)


def code_sent_to(gateway: Gateway, phone: str) -> str:
    """The 6-digit code of the last message the gateway got for this number."""
    received = gateway.wait_for(1)
    texts = [r.text for r in received if r.phone == phone and r.text]
    found = re.search(r"\*(\d{6})\*", texts[-1]) if texts else None
    assert found, texts
    return found.group(1)


def sign_in_dealer(page: Page, gateway: Gateway, pages) -> None:
    page.goto("/portal/login")
    page.fill("input[name=login]", "0812-3456-789")  # written as people write it
    fits_the_phone(page)
    pages.screenshot(page, "1-login")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/login/code"))
    fits_the_phone(page)
    page.fill("input[name=code]", code_sent_to(gateway, SHOP_PHONE))
    page.locator("form[action$='/portal/login/code'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/portal/?$"))


def fits_the_phone(page: Page) -> None:
    """Nothing makes the page scroll sideways on the phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (page.url, width)


def add_part(page: Page, code: str, qty: int) -> None:
    card = page.locator(f"article.product[data-code='{code}']")
    card.locator("input[name=qty]").fill(str(qty))
    card.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_dealer_orders_admin_approves_and_the_dealer_sees_the_so_number(
        pages, shop, distributor, gateway):
    dealer = pages.open()
    sign_in_dealer(dealer, gateway, pages)
    expect(dealer.locator("article.product")).to_have_count(4)
    fits_the_phone(dealer)
    pages.screenshot(dealer, "2-parts")

    add_part(dealer, "OLI-MPX2", 3)
    add_part(dealer, "KAMPAS-REM", 2)
    dealer.goto("/portal/cart")
    expect(dealer.locator("#cart-total")).to_have_text("Rp 211.000")
    fits_the_phone(dealer)
    pages.screenshot(dealer, "3-cart")
    dealer.goto("/portal/checkout")
    dealer.fill("textarea[name=notes]", "Kirim hari Senin")
    fits_the_phone(dealer)
    pages.screenshot(dealer, "4-review")
    dealer.locator("form[action$='/portal/checkout'] button[type=submit]").click()
    dealer.wait_for_url(re.compile(r"/portal/orders/c[0-9a-z]{25}$"))
    number = dealer.locator("h1, h2").filter(has_text="ORD-").first.inner_text()
    assert re.search(r"ORD-\d{4}-000001", number), number
    pages.screenshot(dealer, "5-ordered")

    with shop.app.app_context():
        order = db.session.scalar(select(Order).where(Order.channel == "b2b"))
        assert (order.status, order.notes) == (OrderStatus.PENDING, "Kirim hari Senin")
        order_id = order.id
        db.session.remove()

    admin = pages.open()
    admin.set_viewport_size(LAPTOP)
    admin.goto("/admin/login")
    admin.fill("#email", EMAIL)
    admin.fill("#password", PASSWORD)
    admin.click("button[type=submit]")
    admin.goto(f"/admin/order/details/?id={order_id}")
    pages.screenshot(admin, "6-admin-order")
    admin.click("#approve-order")
    admin.wait_for_load_state()
    pages.screenshot(admin, "7-admin-approved")

    with shop.app.app_context():  # the legacy job ran right after the approval's commit
        order = db.session.get(Order, order_id)
        assert (order.status, order.legacy_state) == (OrderStatus.CONFIRMED,
                                                      LegacyState.SUBMITTED)
        so = db.session.scalar(select(LegacySalesOrder).where(
            LegacySalesOrder.no_so == order.ref_so_number))
        lines = db.session.scalars(select(LegacySalesOrderLine).where(
            LegacySalesOrderLine.fk_so == so.id).order_by(LegacySalesOrderLine.id)).all()
        assert (so.jenis_so, so.fk_toko, so.status_approve_reject) == (
            "Other", 501, "Waiting For Approval")
        assert [(ln.fk_part, ln.qty_so) for ln in lines] == [(101, 3), (201, 2)]
        so_number = order.ref_so_number
        db.session.remove()
    assert re.fullmatch(r"\d{4}/000001/POD-PD", so_number)

    dealer.goto("/portal/orders")
    expect(dealer.locator("body")).to_contain_text(so_number)
    fits_the_phone(dealer)
    dealer.goto(f"/portal/orders/{order_id}")
    expect(dealer.locator(".so-number")).to_have_text(so_number)
    fits_the_phone(dealer)
    pages.screenshot(dealer, "8-approved-with-so")
    approved = [r.text for r in gateway.to(SHOP_PHONE) if r.text and so_number in r.text]
    assert approved and "disetujui" in approved[0]
    assert pages.errors == [] and pages.dialogs == []
