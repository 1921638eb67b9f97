"""A dealer shop's prices in the back office (issue 12, item 3): its discount off list prices
and its own price per product, set and removed through shop.services.dealer_prices, with
field errors for what cannot be taken (and nothing changed); what the shop pays as the
portal and its checkout take it; another store's admin gets 404; CSRF on every POST."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import DealerPrice, OrderItem, Product, Shop

from .backoffice import csrf_enabled, csrf_token, follow, text


@pytest.fixture
def pmo(make):
    """The distributor of seed 004 and Toko Jaya Motor (TK001), without discount or prices."""
    store = make.distributor_store()
    return store, make.dealer_shop(store)


def prices_url(shop: Shop) -> str:
    return f"/admin/dealer_shops/{shop.id}/prices"


def own_prices(shop: Shop) -> dict[str, Decimal]:
    db.session.expire_all()
    return dict(db.session.execute(
        select(Product.code, DealerPrice.price).join(Product, Product.id == DealerPrice.product_id)
        .where(DealerPrice.shop_id == shop.id)).all())


def discount(shop: Shop) -> Decimal:
    db.session.expire_all()
    return db.session.get(Shop, shop.id).discount_percent


def shop_pays(page: str, code: str) -> str:
    """The price the page says the shop pays for a product."""
    table = page[page.index('id="shop-pays"'):]
    return re.search(r'data-code="' + re.escape(code) + r'">.*?shop-price">([^<]+)<',
                     table, re.S).group(1)


def test_shops_page_links_to_its_prices(login_as, pmo):
    store, shop = pmo
    admin = login_as("admin", [store])

    page = text(admin.get(f"/admin/dealer_shops/details/?id={shop.id}"))

    assert f'href="{prices_url(shop)}"' in page


def test_discount_lowers_what_the_shop_pays_for_every_product(login_as, pmo):
    store, shop = pmo
    admin = login_as("admin", [store])
    assert shop_pays(text(admin.get(prices_url(shop))), "OLI-MPX2") == "Rp 45.000"

    page = follow(admin, admin.post(prices_url(shop), data={
        "form": "discount", "discount_percent": "10"}))

    assert discount(shop) == Decimal("10.00")
    assert "Diskon TK001 sekarang 10.00%." in page
    assert shop_pays(page, "OLI-MPX2") == "Rp 40.500"
    assert shop_pays(page, "BUSI-NGK") == "Rp 16.200"


def test_own_price_wins_over_the_discount_and_checkout_charges_it(login_as, make, pmo):
    store, shop = pmo
    admin = login_as("admin", [store])
    admin.post(prices_url(shop), data={"form": "discount", "discount_percent": "10"})

    page = follow(admin, admin.post(prices_url(shop), data={
        "form": "price", "code": "KAMPAS-REM", "price": "30.000"}))

    assert own_prices(shop) == {"KAMPAS-REM": Decimal("30000.00")}
    own = page[page.index('id="own-prices"'):page.index("</table>", page.index('id="own-prices"'))]
    assert "<code>KAMPAS-REM</code>" in own and "Rp 38.000" in own and "Rp 30.000" in own
    assert shop_pays(page, "KAMPAS-REM") == "Rp 30.000"
    placed = make.b2b_order(db.session.get(Shop, shop.id), items=[("KAMPAS-REM", 2)])
    item = db.session.scalars(select(OrderItem).where(OrderItem.order_id == placed.id)).one()
    assert item.unit_price == Decimal("30000.00")


def test_changing_and_removing_an_own_price(login_as, pmo):
    store, shop = pmo
    admin = login_as("admin", [store])
    admin.post(prices_url(shop), data={"form": "price", "code": "BUSI-NGK", "price": "15000"})

    admin.post(prices_url(shop), data={"form": "price", "code": "BUSI-NGK", "price": "14000"})
    assert own_prices(shop) == {"BUSI-NGK": Decimal("14000.00")}
    product_id = db.session.scalar(select(Product.id).where(Product.code == "BUSI-NGK"))
    page = follow(admin, admin.post(prices_url(shop), data={
        "form": "remove", "product_id": str(product_id)}))

    assert own_prices(shop) == {}
    assert "Harga dealer BUSI-NGK dihapus" in page and 'id="own-prices-empty"' in page
    assert shop_pays(page, "BUSI-NGK") == "Rp 18.000"


def test_an_empty_price_in_the_form_removes_the_own_price(login_as, pmo):
    store, shop = pmo
    admin = login_as("admin", [store])
    admin.post(prices_url(shop), data={"form": "price", "code": "BUSI-NGK", "price": "15000"})

    admin.post(prices_url(shop), data={"form": "price", "code": "BUSI-NGK", "price": ""})

    assert own_prices(shop) == {}


@pytest.mark.parametrize("value", ["100", "-5", "abc", "12.345"])
def test_a_discount_out_of_range_is_a_field_error_and_changes_nothing(login_as, pmo, value):
    store, shop = pmo
    admin = login_as("admin", [store])
    admin.post(prices_url(shop), data={"form": "discount", "discount_percent": "5"})

    answer = admin.post(prices_url(shop), data={"form": "discount", "discount_percent": value})

    assert answer.status_code == 422
    page = text(answer)
    assert 'data-field-error="discount_percent"' in page and "is-invalid" in page
    assert f'value="{value}"' in page  # what was typed stays in the field
    assert discount(shop) == Decimal("5.00")


@pytest.mark.parametrize(("code", "price", "field"), [
    ("KAMPAS-REM", "tiga puluh ribu", "price"),
    ("KAMPAS-REM", "-1000", "price"),
    ("TIDAK-ADA", "1000", "code"),
])
def test_a_bad_price_or_unknown_code_is_a_field_error_and_changes_nothing(
        login_as, pmo, code, price, field):
    store, shop = pmo
    admin = login_as("admin", [store])
    admin.post(prices_url(shop), data={"form": "price", "code": "BUSI-NGK", "price": "15000"})

    answer = admin.post(prices_url(shop), data={"form": "price", "code": code, "price": price})

    assert answer.status_code == 422
    assert f'data-field-error="{field}"' in text(answer)
    assert own_prices(shop) == {"BUSI-NGK": Decimal("15000.00")}


def test_a_product_of_another_store_cannot_be_priced(login_as, make, pmo):
    store, shop = pmo
    other = make.store("toko-lain", name="Toko Lain")
    foreign = make.product(other, "ASING-1", "5000")
    admin = login_as("super_admin")

    by_code = admin.post(prices_url(shop), data={"form": "price", "code": "ASING-1",
                                                 "price": "1000"})
    by_id = admin.post(prices_url(shop), data={"form": "remove", "product_id": str(foreign.id)})

    assert by_code.status_code == by_id.status_code == 422
    assert own_prices(shop) == {}


def test_another_stores_admin_gets_404_and_changes_nothing(login_as, make, pmo):
    store, shop = pmo
    admin = login_as("admin", [store])
    admin.post(prices_url(shop), data={"form": "price", "code": "BUSI-NGK", "price": "15000"})
    stranger = login_as("admin", [make.store("toko-lain", name="Toko Lain")])

    assert stranger.get(prices_url(shop)).status_code == 404
    posts = [{"form": "discount", "discount_percent": "50"},
             {"form": "price", "code": "OLI-MPX2", "price": "1"},
             {"form": "remove", "product_id": "1"}]
    for data in posts:
        assert stranger.post(prices_url(shop), data=data).status_code == 404
    assert stranger.get("/admin/dealer_shops/999999/prices").status_code == 404
    assert stranger.get("/admin/dealer_shops/abc/prices").status_code == 404

    assert discount(shop) == Decimal("0.00")
    assert own_prices(shop) == {"BUSI-NGK": Decimal("15000.00")}


def test_price_changes_need_the_pages_csrf_token(app, login_as, pmo):
    store, shop = pmo
    admin = login_as("admin", [store])
    with csrf_enabled(app):
        refused = admin.post(prices_url(shop), data={"form": "discount",
                                                     "discount_percent": "10"})
        token = csrf_token(admin, prices_url(shop))
        accepted = admin.post(prices_url(shop), data={
            "form": "discount", "discount_percent": "10", "csrf_token": token})

    assert refused.status_code == 400
    assert accepted.status_code == 302
    assert discount(shop) == Decimal("10.00")


def test_what_the_shop_pays_is_searchable_by_part_number(login_as, pmo):
    store, shop = pmo
    admin = login_as("admin", [store])

    page = text(admin.get(prices_url(shop) + "?q=oli"))

    assert 'data-code="OLI-MPX2"' in page and 'data-code="OLI-SPX1"' in page
    assert 'data-code="BUSI-NGK"' not in page
