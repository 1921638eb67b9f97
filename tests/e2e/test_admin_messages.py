"""A super admin works the messages in Chromium: edits the order confirmation (refused with
an unknown variable, then previewed and saved), a shopper's order carries the new text in the
outbox (sent by the embedded default), and a bulk message is counted and sent to customers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from shop.extensions import db
from shop.models import MessageTemplate, Notification, NotificationStatus, Store
from shop.services.admin_users import save_admin
from shop.services.checkout import CheckoutRequest, place_order
from shop.unit_of_work import commit

pytestmark = pytest.mark.e2e

EMAIL, PASSWORD = "pemilik@burgerchina.test", "sandi-pemilik-123"
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture
def owner(shop):
    """A super admin; the templates it edits are put back to the defaults afterwards (the
    live server's data is committed and later tests read the same database)."""
    with shop.app.app_context():
        save_admin(EMAIL, password=PASSWORD, role="super_admin", stores=[], name="Pemilik")
        db.session.commit()
        db.session.remove()
    yield
    with shop.app.app_context():
        db.session.execute(delete(MessageTemplate))
        db.session.commit()
        db.session.remove()


def sign_in(page: Page) -> None:
    page.set_viewport_size(LAPTOP)
    page.goto("/admin/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/admin/login"))


def order_now(shop) -> tuple[str, str]:
    """A shopper's checkout, committed like the storefront does (embedded: delivered at once)."""
    with shop.app.app_context():
        store = db.session.scalar(select(Store).where(Store.slug == shop.slug))
        placed = place_order(store, CheckoutRequest(
            name="Sari Dewi", phone="081298765432", address="Jl. Melati 5",
            items=[("FRIES", 2)]), base_url=shop.url)
        commit()
        row = db.session.scalar(select(Notification).where(
            Notification.order_id == placed.id, Notification.template == "order_confirmation"))
        result = (placed.number, row.id, row.status, row.body)
        db.session.remove()
    return result


def test_an_edited_confirmation_is_checked_previewed_saved_and_sent(pages, shop, owner):
    page = pages.open()
    sign_in(page)
    page.goto("/admin/message-templates/order_confirmation/id/")

    page.fill("#body", "Halo {{ nama }}, pesanan {{ order_number }} diterima.")
    page.click("#save-button")
    expect(page.locator("#save-error")).to_contain_text("nama")

    page.fill("#body", "Halo {{ customer_name }}, pesanan #{{ order_number }} kami terima. "
                       "Total {{ total|rupiah }}.")
    page.click("#preview-button")
    expect(page.locator("#preview")).to_contain_text("kami terima. Total Rp")
    page.click("#save-button")
    expect(page.locator("#save-error")).to_have_count(0)
    pages.screenshot(page, "template-saved")

    number, row_id, status, body = order_now(shop)
    assert status == NotificationStatus.SENT
    assert body == f"Halo \u201cSari Dewi\u201d, pesanan #{number} kami terima. Total Rp 30.000."

    page.goto(f"/admin/outbox/details/?id={row_id}")
    expect(page.locator("body")).to_contain_text(f"pesanan #{number} kami terima")
    assert pages.errors == []


def test_a_bulk_message_is_counted_then_sent(pages, shop, owner):
    order_now(shop)  # one customer with a number
    page = pages.open()
    sign_in(page)
    page.goto("/admin/bulk/new/")

    page.fill("#title", "Promo akhir pekan")
    page.fill("#body", "Halo {{ name }}, ada promo di {{ store_name }}!")
    page.click("#count-button")
    count = int(page.locator("#recipient-count").inner_text())
    assert count >= 1
    expect(page.locator("#preview")).to_contain_text("ada promo di Burger China")
    page.click("#send-button")

    expect(page.locator("body")).to_contain_text("Promo akhir pekan")
    pages.screenshot(page, "campaign")
    with shop.app.app_context():
        rows = db.session.scalars(select(Notification).where(
            Notification.template == "bulk")).all()
        assert len(rows) == count
        assert any(r.status == NotificationStatus.SENT for r in rows)  # the first goes now
        db.session.remove()
    assert pages.errors == []
