"""The store page's rendered cards are kept per product state: a change of price, stock,
name or photo is seen by the very next page, each shopper gets their own CSRF token, and the
page to come back to is the one asked for."""

from __future__ import annotations

import re

from sqlalchemy import update

from shop.extensions import db
from shop.models import Product

STORE = "/store/burgerchina"


def card(html: str, code: str) -> str:
    found = re.search(rf'<article class="card product" data-code="{code}">(.*?)</article>',
                      html, re.S)
    assert found, code
    return found.group(1)


def page(client, path: str = STORE) -> str:
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def change(code: str, **values) -> None:
    db.session.execute(update(Product).where(Product.code == code).values(**values))
    db.session.commit()


def test_a_new_price_is_on_the_very_next_page(client, burger):
    assert "Rp 8.000" in card(page(client), "COLA")

    change("COLA", price=9500)

    assert "Rp 9.500" in card(page(client), "COLA")
    assert "Rp 8.000" not in card(page(client), "COLA")


def test_stock_running_out_shows_at_once(client, burger):
    assert "Sisa" not in card(page(client), "COLA")

    change("COLA", stock=2)
    low = card(page(client), "COLA")
    change("COLA", stock=0)
    out = card(page(client), "COLA")

    assert "Sisa 2" in low and "disabled" not in low
    assert "Stok habis" in out and "disabled" in out


def test_a_product_turned_inactive_leaves_the_next_page(client, burger):
    assert 'data-code="COLA"' in page(client)

    change("COLA", is_active=False)

    assert 'data-code="COLA"' not in page(client)


def test_the_cards_carry_the_shoppers_own_csrf_token(app, client, burger):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page(client)  # cached with a stand-in for the token
        tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page(client)))
        token = next(iter(tokens))
        added = client.post(f"{STORE}/cart", data={"code": "FRIES", "qty": "1",
                                                   "csrf_token": token})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    assert len(tokens) == 1 and "\x00" not in token
    assert added.status_code == 303


def test_the_page_to_come_back_to_is_this_one_and_escaped(client, burger):
    page(client)  # the cards are cached from the plain page

    html = page(client, STORE + '?q=burger&x="><script>')

    backs = set(re.findall(r'name="next" value="([^"]*)"', html))
    assert len(backs) == 1 and next(iter(backs)).startswith("/store/burgerchina?q=burger&amp;x=")
    assert "<script>" not in html


def test_english_cards_are_english_after_indonesian_ones(client, burger):
    assert "Tambah" in card(page(client), "FRIES")

    english = card(page(client, STORE + "?lang=en"), "FRIES")

    assert "Add" in english and "Tambah" not in english
