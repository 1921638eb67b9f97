"""The catalog on a phone and a desktop (issue 14, item 1): search, a category chip, one tap on
two cards of the grid with the feedback beside each, the cart bar that stays on screen, the
product page; no page wider than the screen.

Runs in Debian's Chromium against the live server, on every database of the `app` fixture.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from shop.demo import seed_demo_photos
from shop.extensions import db

from .conftest import Pages, Shop

pytestmark = pytest.mark.e2e

WIDTHS = {"phone-360": (360, 740), "phone-390": (390, 844), "desktop-1280": (1280, 800)}


@pytest.fixture
def photos(shop: Shop, tmp_path, monkeypatch) -> None:
    """The demo menu with its drawn photos, in an upload folder of the test's own."""
    monkeypatch.setitem(shop.app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    with shop.app.app_context():
        from shop.models import Store

        seed_demo_photos(db.session.scalar(db.select(Store).where(Store.slug == shop.slug)))
        db.session.commit()
        db.session.remove()


def card(page: Page, code: str) -> Locator:
    return page.locator(f"article.product[data-code='{code}']")


def fits_the_screen(page: Page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"page is {width[0]} px wide on a {width[1]} px screen"


def box_in_viewport(page: Page, locator: Locator, *, above_bar: bool = True) -> dict:
    """The element's box, asserted to be wholly on screen (and not under the cart bar)."""
    box = locator.bounding_box()
    assert box is not None
    height = page.evaluate("window.innerHeight")
    assert 0 <= box["y"] and box["y"] + box["height"] <= height, (box, height)
    bar = page.locator("#cart-bar")
    if above_bar and bar.is_visible():
        top = bar.bounding_box()["y"]
        assert box["y"] + box["height"] <= top, f"{box} is under the cart bar at {top}"
    return box


def columns(page: Page) -> int:
    """How many cards the grid's first row holds."""
    return page.evaluate("""() => {
        const tops = [...document.querySelectorAll('article.product')]
            .map(c => Math.round(c.getBoundingClientRect().top));
        return tops.filter(t => t === tops[0]).length;
    }""")


def tap_add(pages: Pages, page: Page, code: str, name: str, count: int, total: str) -> None:
    """One tap on the card's button: the cart updates in place, the feedback is beside it."""
    product = card(page, code)
    button = product.locator("form.add-to-cart button")
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/cart")) as answer:
        button.click()
    assert answer.value.status == 200
    feedback = product.locator(".added")
    expect(feedback).to_contain_text(f"{name} masuk keranjang.")
    expect(feedback).to_contain_text(f"Keranjang: {count} item, {total}")
    expect(page.locator("#cart-count")).to_have_text(str(count))
    expect(page.locator("#cart-total")).to_have_text(total)
    expect(page.locator("#cart-bar-text")).to_have_text(f"{count} item · {total}")
    spot = box_in_viewport(page, feedback)
    pressed = button.bounding_box()
    assert abs(spot["y"] - (pressed["y"] + pressed["height"])) < 60, (spot, pressed)


# One test per width rather than parametrized: the screenshots of a test are named after the
# function, and each run clears that function's older ones.
def test_shopper_on_a_360_px_phone_searches_filters_and_adds_from_the_grid(shop, pages, photos):
    shop_the_grid(shop, pages, "phone-360")


def test_shopper_on_a_390_px_phone_searches_filters_and_adds_from_the_grid(shop, pages, photos):
    shop_the_grid(shop, pages, "phone-390")


def test_shopper_on_a_desktop_searches_filters_and_adds_from_the_grid(shop, pages, photos):
    shop_the_grid(shop, pages, "desktop-1280")


def shop_the_grid(shop: Shop, pages: Pages, screen: str) -> None:
    """Search, a category, two taps on the grid, the cart bar, on to the checkout."""
    width, height = WIDTHS[screen]
    page = pages.open()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(shop.store_path)

    # The grid: two columns on a phone, four on a desktop; the first photos are resized copies.
    expect(card(page, "BRG-CHEESE")).to_be_visible()
    assert columns(page) == (4 if width >= 1000 else 2)
    first = card(page, "BRG-CHEESE").locator("img")
    expect(first).to_have_attribute("src", re.compile(r"^/uploads/320/[0-9a-f]{32}\.png$"))
    # Loaded, from one of the copies (a phone's half-screen slot never needs the original).
    page.wait_for_function("img => img.complete && img.naturalWidth > 0"
                           " && /\\/uploads\\/(320|640)\\//.test(img.currentSrc)",
                           arg=first.element_handle())
    expect(page.locator("#cart-bar")).to_be_hidden()
    fits_the_screen(page)
    pages.screenshot(page, f"{screen}-1-grid")

    # Search, without a script: a GET form.
    page.get_by_role("searchbox", name="Cari produk").fill("burger")
    with page.expect_navigation():
        page.get_by_role("button", name="Cari", exact=True).click()
    assert "q=burger" in page.url
    expect(page.locator("article.product")).to_have_count(3)
    expect(page.locator("#catalog-found")).to_have_text("3 produk ditemukan")
    fits_the_screen(page)

    # A category chip narrows the search further, and is marked as the current one.
    chips = page.get_by_role("navigation", name="Kategori")
    with page.expect_navigation():
        chips.get_by_role("link", name="Minuman").click()
    expect(chips.get_by_role("link", name="Minuman")).to_have_attribute("aria-current", "page")
    expect(page.locator("#catalog-empty")).to_contain_text("Tidak ada produk yang sesuai.")
    page.get_by_role("searchbox", name="Cari produk").fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="Cari", exact=True).click()
    expect(page.locator("article.product")).to_have_count(2)  # Cola, Es Teh Manis
    with page.expect_navigation():
        chips.get_by_role("link", name="Semua").click()
    expect(page.locator("article.product")).to_have_count(8)
    pages.screenshot(page, f"{screen}-2-filtered")

    # Two taps: the first card and the last one (far down on a phone).
    tap_add(pages, page, "BRG-CHEESE", "Burger Cheese", 1, "Rp 25.000")
    tap_add(pages, page, "FRIES", "French Fries", 2, "Rp 40.000")
    assert page.url == shop.url + shop.store_path  # added in place
    bar = page.locator("#cart-bar")
    expect(bar).to_be_visible()
    box_in_viewport(page, bar, above_bar=False)
    page.mouse.wheel(0, -5000)  # the bar stays on screen wherever the page is scrolled
    page.wait_for_function("() => window.scrollY === 0")
    box_in_viewport(page, bar, above_bar=False)
    expect(card(page, "NUGGET").locator("button")).to_be_disabled()  # sold out
    fits_the_screen(page)
    pages.screenshot(page, f"{screen}-3-added")

    with page.expect_navigation():
        bar.get_by_role("link", name="Checkout").click()
    expect(page).to_have_url(shop.url + shop.store_path + "/checkout")
    assert pages.errors == [] and pages.dialogs == []


def test_product_page_on_a_phone_shows_the_photo_and_adds_a_quantity(shop, pages, photos):
    see_a_product(shop, pages, "phone-360")


def test_product_page_on_a_desktop_shows_the_photo_and_adds_a_quantity(shop, pages, photos):
    see_a_product(shop, pages, "desktop-1280")


def see_a_product(shop: Shop, pages: Pages, screen: str) -> None:
    """From a card to its page: photo, description, a quantity added."""
    width, height = WIDTHS[screen]
    page = pages.open()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(shop.store_path)
    with page.expect_navigation():
        card(page, "COLA").get_by_role("link").click()

    expect(page).to_have_url(shop.url + shop.store_path + "/p/COLA")
    expect(page.get_by_role("heading", name="Cola", level=1)).to_be_visible()
    expect(page.get_by_text("Cola dingin 330 ml.")).to_be_visible()
    expect(page.get_by_role("img", name="Foto 1 dari Cola")).to_be_visible()
    expect(page.locator("#cart-bar")).to_be_hidden()
    page.get_by_label("Jumlah").fill("3")
    page.get_by_role("button", name="Tambah ke keranjang").click()
    expect(page.locator(".product-detail .added")).to_contain_text("Cola masuk keranjang.")
    expect(page.locator("#cart-bar-text")).to_have_text("3 item · Rp 24.000")
    box_in_viewport(page, page.locator(".product-detail .added"))
    fits_the_screen(page)
    pages.screenshot(page, f"{screen}-product")
    assert pages.errors == [] and pages.dialogs == []


def test_english_shopper_gets_english_feedback(shop: Shop, pages: Pages):
    page = pages.open()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(shop.store_path + "?lang=en")
    product = card(page, "COLA")
    product.get_by_role("button", name="Add").click()

    expect(product.locator(".added")).to_have_text("Cola added to the cart. "
                                                   "Cart: 1 item(s), Rp 8.000")
    expect(page.locator("#cart-bar-text")).to_have_text("1 item(s) · Rp 8.000")
    fits_the_screen(page)
    assert pages.errors == []
