"""The store's catalog version (models/catalog.py): raised by the database with every change
a shopper sees of the store's products, and only then, so that the pages and prices the web
processes keep per version are never stale and the checkouts of a well-stocked product do not
throw them away."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, inspect, select, update

from shop.extensions import db
from shop.models import Product, ProductPhoto, Store
from shop.models.catalog import CATALOG_COLUMNS, UNSHOWN_COLUMNS

STORE = "/store/burgerchina"


def version(store) -> int:
    return db.session.scalar(select(Store.catalog_version).where(Store.id == store.id))


def change(product_code: str, **values) -> None:
    db.session.execute(update(Product).where(Product.code == product_code).values(**values))
    db.session.commit()


def raises_version(store, action) -> bool:
    before = version(store)
    action()
    return version(store) > before


def test_every_column_of_products_is_either_shown_or_not(app):
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("products")}
    assert columns == set(CATALOG_COLUMNS) | set(UNSHOWN_COLUMNS)
    assert not set(CATALOG_COLUMNS) & set(UNSHOWN_COLUMNS)


@pytest.mark.parametrize("values", [
    {"price": 9500}, {"name": "Cola Dingin"}, {"category": "Dingin"},
    {"description": "Segar"}, {"is_active": False}, {"billing": "monthly"},
    {"low_stock_threshold": 60}, {"attributes": {"ukuran": "L"}}, {"code": "COLA-L"},
    {"stock": 5}, {"stock": 0}, {"stock": None},
], ids=lambda values: next(iter(values)) + "=" + str(next(iter(values.values()))))
def test_a_change_a_shopper_sees_raises_it(burger, values):
    assert raises_version(burger, lambda: change("COLA", **values))


@pytest.mark.parametrize("values", [
    {"stock": 49}, {"stock": 6}, {"legacy_stock": 7}, {"ref_part_id": 12},
], ids=lambda values: next(iter(values)) + "=" + str(next(iter(values.values()))))
def test_a_change_no_shopper_sees_keeps_it(burger, values):
    """Cola has 50 in stock and is low from 5: until then the stock is only "Tersedia"."""
    assert not raises_version(burger, lambda: change("COLA", **values))


def test_while_low_every_unit_sold_raises_it(burger):
    """Nugget has 3 (low): the card says "Sisa 3", then "Sisa 2"."""
    assert raises_version(burger, lambda: change("NUGGET", stock=2))
    assert raises_version(burger, lambda: change("NUGGET", stock=10))  # back to plenty
    assert not raises_version(burger, lambda: change("NUGGET", stock=11))


def test_a_product_added_or_removed_raises_it(burger, make):
    assert raises_version(burger, lambda: make.product(burger, "BARU", 1000))
    assert raises_version(burger, lambda: (
        db.session.execute(delete(Product).where(Product.code == "BARU")), db.session.commit()))


def test_a_photo_added_changed_or_removed_raises_it(burger):
    cola = db.session.scalar(select(Product).where(Product.code == "COLA"))

    def add():
        db.session.add(ProductPhoto(product_id=cola.id, filename="a" * 32 + ".jpg",
                                    width=800, height=600, position=0))
        db.session.commit()

    def move():
        db.session.execute(update(ProductPhoto).values(position=1))
        db.session.commit()

    def remove():
        db.session.execute(delete(ProductPhoto))
        db.session.commit()

    assert raises_version(burger, add)
    assert raises_version(burger, move)
    assert raises_version(burger, remove)


def test_another_stores_change_keeps_it(burger, make):
    other = make.store("lain")
    make.product(other, "COLA", 7000)
    assert not raises_version(burger, lambda: (
        db.session.execute(update(Product).where(Product.store_id == other.id)
                           .values(price=7500)), db.session.commit()))


def test_a_checkout_of_a_well_stocked_product_keeps_it_one_that_makes_it_low_raises_it(
        burger, make):
    assert not raises_version(burger, lambda: make.order(burger, [("COLA", 2)]))
    assert raises_version(burger, lambda: make.order(burger, [("NUGGET", 1)]))


def test_the_cart_total_follows_a_new_price_at_once(client, burger):
    assert client.post(f"{STORE}/cart", data={"code": "COLA", "qty": 2}).status_code == 303
    assert "Rp 16.000" in client.get(STORE).get_data(as_text=True)

    change("COLA", price=9000)

    page = client.get(STORE).get_data(as_text=True)
    assert "Rp 18.000" in page and "Rp 16.000" not in page


def test_a_product_turned_off_leaves_the_cart_total_at_once(client, burger):
    client.post(f"{STORE}/cart", data={"code": "COLA", "qty": 1})
    client.post(f"{STORE}/cart", data={"code": "FRIES", "qty": 1})
    assert 'id="cart-count">2<' in client.get(STORE).get_data(as_text=True)

    change("COLA", is_active=False)

    page = client.get(STORE).get_data(as_text=True)
    assert 'id="cart-count">1<' in page and "Rp 15.000" in page


def change_store(store, **values) -> None:
    db.session.execute(update(Store).where(Store.id == store.id).values(**values))
    db.session.commit()


def test_every_detail_the_storefront_reads_of_a_store_is_watched():
    from dataclasses import fields

    from shop.models.catalog import STORE_COLUMNS
    from shop.services.stores import StoreInfo

    # is_active: only active stores are read at all
    read = {f.name for f in fields(StoreInfo)} - {"id", "catalog_version"} | {"is_active"}
    assert read == set(STORE_COLUMNS)


@pytest.mark.parametrize("values", [
    {"name": "Burger China Baru"}, {"whatsapp": "6281299990000"}, {"address": "Jl. Baru 1"},
    {"couriers": ["JNE Regular"]}, {"bank_accounts": []},
    {"shipping_rates": [{"courier": "JNE Regular", "fee": 9000}]},
    {"e_wallets": [{"name": "OVO", "number": "0812"}]}, {"admin_whatsapp": ["6281200001111"]},
    {"logo": "logo.png"}, {"unique_code_enabled": True}, {"qris_payload": "00020101021126"},
    {"timezone": "Asia/Makassar"}, {"slug": "burger-baru"}, {"is_active": False},
], ids=lambda values: next(iter(values)))
def test_a_store_detail_the_storefront_shows_raises_it(burger, values):
    assert raises_version(burger, lambda: change_store(burger, **values))


def test_a_store_detail_no_shopper_sees_keeps_it(burger):
    assert not raises_version(burger, lambda: change_store(
        burger, statement_mapping={"preset": "bca"}))


def test_a_new_store_name_is_on_the_very_next_page(client, burger):
    # Given the store page seen once (its row kept by this process)
    assert "Burger China" in client.get(STORE).get_data(as_text=True)
    # When an admin renames the store
    change_store(burger, name="Burger Nusantara")
    # Then the very next page and checkout page show the new name
    assert "Burger Nusantara" in client.get(STORE).get_data(as_text=True)
    assert "Burger Nusantara" in client.get(f"{STORE}/checkout").get_data(as_text=True)


def test_a_store_turned_off_is_gone_at_once(client, burger):
    assert client.get(STORE).status_code == 200
    change_store(burger, is_active=False)
    assert client.get(STORE).status_code == 404
