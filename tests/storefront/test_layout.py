"""The frame of every shopper page (issue 14, item 9): the store's header (logo or initial,
name, cart), its footer (address, WhatsApp), the favicon; other pages keep a plain footer."""

from __future__ import annotations

import re

import pytest

from shop.extensions import db

LOGO = "0123456789abcdef0123456789abcdef.png"


def header_of(html: str) -> str:
    match = re.search(r'<header class="bar">(.*?)</header>', html, re.S)
    assert match, "the page has no header"
    return match.group(1)


def footer_of(html: str) -> str:
    match = re.search(r'<footer class="site-footer">(.*?)</footer>', html, re.S)
    assert match, "the page has no footer"
    return match.group(1)


@pytest.fixture
def shop_pages(client, burger, make):
    """The four shopper pages of Burger China with a logo: store, checkout, chat, tracking."""
    burger.logo = LOGO
    db.session.commit()
    placed = make.order(burger, items=[("BRG-CHEESE", 1)])
    return {path: client.get(path) for path in (
        "/store/burgerchina", "/store/burgerchina/checkout", "/store/burgerchina/chat",
        f"/track/{placed.id}")}


def test_every_shopper_page_has_the_store_header_with_its_logo_and_name(shop_pages):
    for path, answer in shop_pages.items():
        assert answer.status_code == 200, path
        header = header_of(answer.get_data(as_text=True))
        assert re.search(r'<a class="brand" href="/store/burgerchina">', header), path
        img = re.search(r'<img class="logo"[^>]*>', header)
        assert img, path
        assert f'src="/uploads/{LOGO}"' in img.group(0), path
        assert 'alt="Logo Burger China"' in img.group(0), path
        assert 'width="40"' in img.group(0) and 'height="40"' in img.group(0), path
        assert '<span class="brand-name">Burger China</span>' in header, path


def test_pages_with_a_cart_show_its_count_and_total_in_the_header(client, burger):
    client.post("/store/burgerchina/cart", data={"code": "BRG-CHEESE", "qty": 2})

    for path in ("/store/burgerchina", "/store/burgerchina/checkout", "/store/burgerchina/chat"):
        header = header_of(client.get(path).get_data(as_text=True))
        assert 'href="/store/burgerchina/checkout" id="cart-link"' in header, path
        assert '<span id="cart-count">2</span>' in header, path
        assert '<span id="cart-total">Rp 50.000</span>' in header, path


def test_tracking_page_shows_the_store_but_no_cart(client, burger, make):
    placed = make.order(burger, items=[("BRG-CHEESE", 1)])

    header = header_of(client.get(f"/track/{placed.id}").get_data(as_text=True))

    assert '<span class="brand-name">Burger China</span>' in header
    assert "cart-count" not in header


def test_a_store_without_logo_shows_its_initial(client, burger):
    header = header_of(client.get("/store/burgerchina").get_data(as_text=True))

    assert "<img" not in header
    assert '<span class="logo initial" aria-hidden="true">B</span>' in header


def test_every_shopper_page_has_the_store_footer_with_address_and_whatsapp(shop_pages):
    for path, answer in shop_pages.items():
        footer = footer_of(answer.get_data(as_text=True))
        assert '<address id="store-address">Jl. Gajah Mada 1, Jakarta</address>' in footer, path
        whatsapp = re.search(r'<a id="store-whatsapp" href="([^"]+)"[^>]*>(.*?)</a>', footer,
                             re.S)
        assert whatsapp, path
        assert whatsapp.group(1) == "https://wa.me/6281111111111", path
        assert "081111111111" in whatsapp.group(2), path  # the number as people write it
        assert 'href="?lang=en"' in footer and 'href="?lang=id"' in footer, path


def test_every_page_links_the_favicon_and_has_one_h1(shop_pages, client):
    shop_pages["404"] = client.get("/store/no-such-store")
    for path, answer in shop_pages.items():
        html = answer.get_data(as_text=True)
        assert re.search(r'<link rel="icon" href="/static/favicon.svg" type="image/svg\+xml">',
                         html), path
        assert len(re.findall(r"<h1[ >]", html)) == 1, path
        assert re.search(r'<html lang="id">', html), path


def test_the_favicon_is_served_as_svg(client):
    answer = client.get("/static/favicon.svg")

    assert answer.status_code == 200
    assert answer.mimetype == "image/svg+xml"
    assert b"<svg" in answer.data


def test_a_page_without_a_store_keeps_the_plain_footer(client, burger):
    answer = client.get("/store/no-such-store")

    assert answer.status_code == 404
    html = answer.get_data(as_text=True)
    footer = footer_of(html)
    assert "store-address" not in footer and "wa.me" not in footer
    assert 'href="?lang=en"' in footer
    assert header_of(html).strip() == ""


def test_the_language_switch_keeps_the_page_s_query(client, burger):
    footer = footer_of(client.get("/store/burgerchina?q=burger").get_data(as_text=True))

    assert 'href="?q=burger&amp;lang=en"' in footer
    assert 'href="?q=burger&amp;lang=id"' in footer


def test_the_error_page_keeps_the_plain_footer_and_one_h1(client, burger, app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        answer = client.post("/store/burgerchina/cart", data={"code": "COLA", "qty": 1},
                             headers={"Referer": "http://localhost/store/burgerchina"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert len(re.findall(r"<h1[ >]", html)) == 1
    assert "favicon.svg" in html and "wa.me" not in footer_of(html)
