"""An owner gets a day's transfers paid from the bank statement in Chromium: log in, upload
the KlikBCA mutation export, confirm all matches; the shopper's tracking page shows "Lunas"."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from shop import clock
from shop.extensions import db
from shop.models import Order, Store
from shop.services.admin_users import save_admin
from shop.services.checkout import CheckoutRequest, place_order

from ..statement_samples import bca_csv
from .test_admin import EMAIL, LAPTOP, PHONE, open_as, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def transferred(shop, tmp_path):
    """A shopper's bank-transfer order with unique code 321, the owner, and the statement
    file with the shopper's transfer of exactly the amount due."""
    with shop.app.app_context():
        store = db.session.scalar(select(Store).where(Store.slug == shop.slug))
        placed = place_order(store, CheckoutRequest(
            name="Budi Santoso", phone="081234567890", address="Jl. Sudirman No. 123, Jakarta",
            items=[("BRG-CHEESE", 2), ("FRIES", 1)], courier="Ambil di Toko",
            payment_method="bank_transfer"), base_url=shop.url)
        db.session.execute(update(Order).where(Order.id == placed.id).values(unique_code=321))
        save_admin(EMAIL, password="sandi-kasir-123", role="admin", stores=[store],
                   name="Kasir Burger")
        db.session.commit()
        amount = db.session.get(Order, placed.id).amount_due
        db.session.remove()
    day = clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date()
    path = tmp_path / "mutasi-bca.csv"
    path.write_bytes(bca_csv([(day, "TRSF E-BANKING CR BUDI SANTOSO", amount, "CR")]))
    return placed, path


def test_owner_uploads_the_statement_confirms_and_the_order_is_paid(pages, shop, transferred):
    placed, statement = transferred
    owner = open_as(pages, LAPTOP)
    sign_in(owner)

    owner.goto("/admin/statements/")
    owner.check("#preset-bca")
    owner.set_input_files("#file", str(statement))
    owner.click("#upload")
    expect(owner.locator("#proposed-lines")).to_contain_text(placed.number)
    expect(owner.locator("#confirm-all")).to_have_text("Konfirmasi semua yang cocok (1)")
    pages.screenshot(owner, "laptop-review")

    owner.click("#confirm-all")
    expect(owner.locator("body")).to_contain_text("1 pesanan ditandai lunas.")
    expect(owner.locator("#confirmed-lines")).to_contain_text(placed.number)

    shopper = open_as(pages, PHONE)
    shopper.goto(f"/track/{placed.id}")
    expect(shopper.locator("body")).to_contain_text("Lunas")
    pages.screenshot(shopper, "phone-tracking-paid")
    assert pages.errors == []
