"""The store page is rendered once for every shopper who sees the same thing (storefront/
catalog.py): each shopper still gets their own cart, CSRF token and messages, and whatever
the page shows of the store or its products is seen by the very next page."""

from __future__ import annotations

import re

from sqlalchemy import update

from shop.extensions import db
from shop.models import Product, Store
from shop.storefront.catalog import PAGE_CACHE_SIZE

STORE = "/store/burgerchina"


def page(client, path: str = STORE) -> str:
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def cart_bar(html: str) -> str:
    return re.search(r'<p class="card row" id="cart-bar"[^>]*>.*?</p>', html, re.S).group(0)


def header_cart(html: str) -> tuple[str, str]:
    return (re.search(r'<span id="cart-count">([^<]*)</span>', html).group(1),
            re.search(r'<span id="cart-total">([^<]*)</span>', html).group(1))


def test_each_shopper_sees_their_own_cart_on_the_same_page(app, client, burger):
    other = app.test_client()
    client.post(f"{STORE}/cart", data={"code": "COLA", "qty": "2"})
    page(client), page(other)  # the message shown; from here on one cached page for both

    full, empty = page(client), page(other)

    assert header_cart(full) == ("2", "Rp 16.000")
    assert "hidden" not in cart_bar(full) and "2 item · Rp 16.000" in cart_bar(full)
    assert header_cart(empty) == ("0", "Rp 0")
    assert 'id="cart-bar" hidden>' in cart_bar(empty)
    assert "\x00" not in full + empty


def test_each_shopper_gets_their_own_csrf_token_that_works(app, client, burger):
    other = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        mine = set(re.findall(r'name="csrf_token" value="([^"]+)"', page(client)))
        theirs = set(re.findall(r'name="csrf_token" value="([^"]+)"', page(other)))
        added = other.post(f"{STORE}/cart",
                           data={"code": "FRIES", "qty": "1", "csrf_token": next(iter(theirs))})
        foreign = client.post(f"{STORE}/cart",
                              data={"code": "FRIES", "qty": "1", "csrf_token": next(iter(theirs))})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    assert len(mine) == len(theirs) == 1 and mine != theirs
    assert added.status_code == 303
    assert foreign.status_code == 400  # another shopper's token is refused


def test_a_message_for_one_shopper_is_not_shown_to_another(app, client, burger):
    other = app.test_client()
    page(other)
    client.post(f"{STORE}/cart", data={"code": "COLA", "qty": "1"})  # flashes the cart

    mine, theirs = page(client), page(other)

    assert 'class="flash' in mine and "Keranjang: 1 item" in mine
    assert 'class="flash' not in theirs
    assert 'class="flash' not in page(client)  # shown once


def test_the_stores_name_and_address_are_seen_by_the_very_next_page(client, burger):
    assert "Burger China" in page(client)

    db.session.execute(update(Store).where(Store.slug == "burgerchina")
                       .values(name="Burger Cina Baru", address="Jl. Baru 9, Medan"))
    db.session.commit()
    html = page(client)

    assert "Burger Cina Baru" in html and "Jl. Baru 9, Medan" in html
    assert ">Burger China<" not in html


def test_a_new_category_is_a_chip_on_the_very_next_page(client, burger):
    assert ">Camilan<" not in page(client)

    db.session.execute(update(Product).where(Product.code == "FRIES").values(category="Camilan"))
    db.session.commit()

    assert ">Camilan</a>" in page(client)


def test_each_address_and_language_has_its_own_page(client, burger):
    page(client, STORE + "?q=cola"), page(client, STORE)

    found, everything = page(client, STORE + "?q=cola"), page(client, STORE)
    english = page(client, STORE + "?lang=en")

    assert 'data-code="COLA"' in found and 'data-code="FRIES"' not in found
    assert 'data-code="FRIES"' in everything
    assert '<html lang="en">' in english and "Tambah" not in english
    assert '<html lang="id">' in page(client, STORE + "?lang=id")


def test_the_cache_of_pages_is_bounded(app, client, burger):
    for number in range(PAGE_CACHE_SIZE + 20):
        page(client, f"{STORE}?q=x{number}")

    assert len(app.extensions["shop_pages"].entries) == PAGE_CACHE_SIZE
