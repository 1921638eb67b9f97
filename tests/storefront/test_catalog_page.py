"""The catalog (issue 14, item 1): the grid of product cards with photos, category chips and
search, the product page, resized images, and a store page whose SQL does not grow with the
number of products."""

from __future__ import annotations

import io
import os
import re

import pytest
from PIL import Image

from shop.demo_hosting import seed_hosting_demo
from shop.extensions import db
from shop.models import Product, ProductPhoto
from shop.services.catalog import add_photo
from shop.services.catalog_page import PAGE_SIZE
from shop.services.uploads import delete_image, save_image
from tests.conftest import counted
from tests.images import image_bytes, upload

CARD = re.compile(r'<article class="card product" data-code="([^"]+)">(.*?)</article>', re.S)


def cards(page: str) -> dict[str, str]:
    """Each product card of the page: code -> the card's HTML."""
    return dict(CARD.findall(page))


def html(client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def chips(page: str) -> list[tuple[str, bool]]:
    """The category chips: (text, marked as the current one)."""
    nav = re.search(r'<nav class="chips".*?</nav>', page, re.S).group(0)
    return [(text, "aria-current" in attrs)
            for attrs, text in re.findall(r'<a class="chip"([^>]*)>([^<]*)</a>', nav)]


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """An empty upload folder of the test's own."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


def give_photo(product: Product, size=(1200, 900), color=(200, 30, 30), fmt="JPEG"):
    """Store an image as the product's next photo (as the back office does) and commit."""
    stored = save_image(upload(image_bytes(fmt, size=size, color=color), "foto.jpg",
                               "image/jpeg"))
    photo = add_photo(product, *stored)
    db.session.commit()
    return photo


# --- the grid -------------------------------------------------------------------------------


def test_each_card_links_to_its_product_page_and_adds_one_with_a_tap(client, burger):
    page = html(client, "/store/burgerchina")

    card = cards(page)["BRG-CHEESE"]
    assert 'href="/store/burgerchina/p/BRG-CHEESE"' in card
    assert "<h3>Burger Cheese</h3>" in card and '<p class="price">Rp 25.000</p>' in card
    form = re.search(r'<form method="post" action="/store/burgerchina/cart" '
                     r'class="add-to-cart"[^>]*>(.*?)</form>', card, re.S).group(1)
    assert '<input type="hidden" name="csrf_token" value="' in form
    assert 'name="code" value="BRG-CHEESE"' in form and 'name="action" value="add"' in form
    assert re.search(r'name="qty" value="1"', form)
    assert 'id="' not in form  # the same form eight times: no id may repeat
    assert '<p class="added" role="status" aria-live="polite"></p>' in card


def test_product_without_a_photo_gets_a_placeholder_with_its_initial(client, burger):
    card = cards(html(client, "/store/burgerchina"))["FRIES"]

    assert "<img" not in card
    assert re.search(r'<span class="product-photo placeholder hue-\d" aria-hidden="true">F'
                     r'</span>', card)


def test_photo_is_the_products_first_one_resized_with_its_size_set(client, burger, uploads):
    product = db.session.scalar(db.select(Product).where(Product.code == "COLA"))
    first = give_photo(product, size=(1200, 900))
    give_photo(product, size=(800, 800), color=(0, 0, 200))

    card = cards(html(client, "/store/burgerchina"))["COLA"]

    img = re.search(r"<img [^>]*>", card).group(0)
    assert f'src="/uploads/320/{first.filename}"' in img
    assert (f'srcset="/uploads/320/{first.filename} 320w, /uploads/640/{first.filename} 640w, '
            f'/uploads/{first.filename} 1200w"') in img
    assert 'width="320" height="240"' in img  # 1200 x 900 shown 320 wide
    assert 'decoding="async"' in img and 'alt=""' in img  # the name follows in the link
    assert "placeholder" not in card


def test_cards_below_the_first_screenful_load_their_photos_lazily(client, make, uploads):
    store = make.store("foto")
    for n in range(6):
        give_photo(make.product(store, f"P{n}", name=f"Produk {n}"), size=(400, 400))

    images = re.findall(r"<img [^>]*>", html(client, "/store/foto"))

    assert len(images) == 6
    assert ['loading="lazy"' in img for img in images] == [False] * 4 + [True] * 2


def test_monthly_product_shows_its_price_per_month(client, app):
    store, _ = seed_hosting_demo()
    db.session.commit()

    card = cards(html(client, f"/store/{store.slug}"))["BRONZE"]

    assert '<p class="price">Rp 25.000<span class="per">/bulan</span></p>' in card


def test_sold_out_product_has_a_disabled_button(client, burger):
    found = cards(html(client, "/store/burgerchina"))

    assert re.search(r'<button type="submit"\s*disabled>', found["SUNDAE"])
    assert "disabled" not in found["COLA"]


def test_one_tap_without_javascript_adds_one_and_goes_back_to_the_store(client, burger):
    card = cards(html(client, "/store/burgerchina"))["BRG-CHEESE"]
    fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', card))

    answer = client.post("/store/burgerchina/cart", data=fields)

    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/store/burgerchina")
    with client.session_transaction() as session:
        assert session["carts"]["burgerchina"] == {"BRG-CHEESE": 1}
    page = html(client, "/store/burgerchina")
    assert '<p class="card row" id="cart-bar">' in page and "Keranjang: 1 item" in page


def test_cart_button_is_hidden_while_the_cart_is_empty_and_links_to_checkout(client, burger):
    empty = html(client, "/store/burgerchina")
    client.post("/store/burgerchina/cart", data={"code": "COLA", "qty": 2})
    full = html(client, "/store/burgerchina")

    assert '<p class="card row" id="cart-bar" hidden>' in empty
    bar = re.search(r'<p class="card row" id="cart-bar">(.*?)</p>', full, re.S).group(1)
    assert '<strong id="cart-bar-text">2 item · Rp 16.000</strong>' in bar
    assert 'href="/store/burgerchina/checkout"' in bar


# --- categories and search ------------------------------------------------------------------


def test_category_chips_list_the_active_categories_and_mark_the_chosen_one(client, burger):
    everything = html(client, "/store/burgerchina")
    snacks = html(client, "/store/burgerchina?kategori=Snack")

    assert chips(everything) == [("Semua", True), ("Burger", False), ("Dessert", False),
                                 ("Minuman", False), ("Snack", False)]
    assert chips(snacks) == [("Semua", False), ("Burger", False), ("Dessert", False),
                             ("Minuman", False), ("Snack", True)]
    assert sorted(cards(snacks)) == ["FRIES", "NUGGET"]
    assert 'href="/store/burgerchina?kategori=Snack"' in everything


def test_category_of_inactive_products_only_is_no_chip(client, make):
    store = make.store("toko")
    make.product(store, "A", category="Kopi")
    make.product(store, "B", category="Lama", is_active=False)

    assert [text for text, _ in chips(html(client, "/store/toko"))] == ["Semua", "Kopi"]


@pytest.mark.parametrize(("search", "found"), [
    ("fries", ["FRIES"]),  # name, any case
    ("brg-", ["BRG-CHEESE"]),  # code
    ("COLA", ["COLA"]),
    ("krispi", ["FRIES"]),  # description
], ids=["name", "code", "upper case", "description"])
def test_search_finds_code_name_or_description_in_any_case(client, burger, search, found):
    db.session.execute(db.update(Product).where(Product.code == "FRIES")
                       .values(description="Kentang goreng KRISPI"))
    db.session.commit()

    page = html(client, f"/store/burgerchina?q={search}")

    assert sorted(cards(page)) == found
    assert f'value="{search}"' in page  # the box keeps what was typed
    assert "1 produk ditemukan" in page


def test_search_without_results_says_so_with_a_link_back(client, burger):
    page = html(client, "/store/burgerchina?q=pizza")

    assert cards(page) == {}
    assert re.search(r'<p class="card" id="catalog-empty">Tidak ada produk yang sesuai\. '
                     r'<a href="/store/burgerchina">Lihat semua produk</a></p>', page)
    assert "Belum ada produk." not in page


def test_search_wildcards_are_taken_literally(client, make):
    store = make.store("toko")
    make.product(store, "A", name="Diskon 50% hari ini")
    make.product(store, "B", name="Harga 500 ribu")

    assert sorted(cards(html(client, "/store/toko?q=50%25"))) == ["A"]
    assert sorted(cards(html(client, "/store/toko?q=_"))) == []


def test_search_and_category_combine(client, burger):
    page = html(client, "/store/burgerchina?kategori=Snack&q=n")  # not Burger Cheese, Sundae

    assert sorted(cards(page)) == ["FRIES", "NUGGET"]
    only_nugget = html(client, "/store/burgerchina?kategori=Snack&q=nug")
    assert sorted(cards(only_nugget)) == ["NUGGET"]
    assert '<input type="hidden" name="kategori" value="Snack">' in only_nugget
    assert ('href="/store/burgerchina?kategori=Minuman&amp;q=nug"' in only_nugget
            or 'href="/store/burgerchina?q=nug&amp;kategori=Minuman"' in only_nugget)
    assert cards(html(client, "/store/burgerchina?kategori=Minuman&q=nug")) == {}


@pytest.mark.parametrize("query", ["q=%00", "q=" + "x" * 500, "kategori=%00", "halaman=-3",
                                   "halaman=abc", "halaman=99999999", "kategori=Nope"])
def test_odd_query_strings_still_show_a_page(client, burger, query):
    answer = client.get(f"/store/burgerchina?{query}")

    assert answer.status_code == 200


def test_a_big_catalog_comes_in_pages_that_keep_the_search(client, make):
    store = make.store("besar")
    for n in range(PAGE_SIZE + 6):
        make.product(store, f"K{n:03}", name=f"Kaos {n:03}", category="Kaos")

    first = html(client, "/store/besar?q=kaos")
    second = html(client, "/store/besar?q=kaos&halaman=2")

    assert len(cards(first)) == PAGE_SIZE and len(cards(second)) == 6
    assert "Halaman 1 dari 2" in first
    assert 'href="/store/besar?q=kaos&amp;halaman=2"' in first
    assert not set(cards(first)) & set(cards(second))


# --- the product page -----------------------------------------------------------------------


def test_product_page_shows_price_per_month_description_and_attributes(client, app):
    store, _ = seed_hosting_demo()
    db.session.commit()

    page = html(client, f"/store/{store.slug}/p/BRONZE")

    assert "<h1>BRONZE</h1>" in page
    assert '<p class="price">Rp 25.000<span class="per">/bulan</span></p>' in page
    assert "Server game 1GB RAM" in page
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td></tr>', page)
    assert rows == [("RAM", "1GB"), ("CPU", "1 CPU"), ("Storage", "Unlimited SSD"),
                    ("Bandwidth", "Unlimited")]
    qty = re.search(r'<input id="product-qty"[^>]*>', page).group(0)
    assert 'max="12"' in qty and 'value="1"' in qty  # months, 1 to 12
    assert "Jumlah bulan" in page
    assert re.search(r'<span class="product-photo placeholder', page)


def test_product_page_shows_every_photo(client, burger, uploads):
    product = db.session.scalar(db.select(Product).where(Product.code == "COLA"))
    photos = [give_photo(product, size=(1200, 1200)) for _ in range(3)]

    page = html(client, "/store/burgerchina/p/COLA")

    images = re.findall(r"<img [^>]*>", page)
    assert [re.search(r'src="([^"]+)"', img).group(1) for img in images] == [
        f"/uploads/640/{p.filename}" for p in photos]
    assert all('width="640" height="640"' in img and 'decoding="async"' in img
               for img in images)
    assert ['loading="lazy"' in img for img in images] == [False, True, True]
    assert 'alt="Foto 1 dari Cola"' in images[0]


def test_product_page_add_form_takes_a_quantity(client, burger):
    page = html(client, "/store/burgerchina/p/NUGGET")

    form = re.search(r'<form [^>]*class="add-to-cart".*?</form>', page, re.S).group(0)
    assert 'name="code" value="NUGGET"' in form and 'name="qty" value="1"' in form
    assert '<label for="product-qty">Jumlah</label>' in form
    assert "Sisa 3" in page
    answer = client.post("/store/burgerchina/cart", data={"code": "NUGGET", "qty": 3})
    assert answer.status_code == 303


@pytest.mark.parametrize("path", ["/store/burgerchina/p/NOPE", "/store/burgerchina/p/OLD",
                                  "/store/burgerchina/p/SATE", "/store/burgerchina/p/%00",
                                  "/store/burgerchina/p/" + "x" * 80, "/store/nope/p/COLA"])
def test_unknown_inactive_or_foreign_product_is_the_not_found_page(client, burger, make, path):
    make.product(make.store("sate"), "SATE", name="Sate Ayam")

    answer = client.get(path)

    assert answer.status_code == 404
    page = answer.get_data(as_text=True)
    assert "Halaman tidak ditemukan" in page
    assert "Menu Lama" not in page and "Sate Ayam" not in page


# --- resized images -------------------------------------------------------------------------


def test_resized_copy_is_made_once_kept_beside_the_original_and_cached(client, burger,
                                                                       uploads):
    product = db.session.scalar(db.select(Product).where(Product.code == "COLA"))
    photo = give_photo(product, size=(1200, 900))
    stem = photo.filename.rsplit(".", 1)[0]

    answer = client.get(f"/uploads/320/{photo.filename}")

    assert answer.status_code == 200 and answer.mimetype == "image/jpeg"
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(answer.get_data())).size == (320, 240)
    kept = uploads / f"{stem}-w320.jpg"
    assert kept.exists()
    made_at = kept.stat().st_mtime_ns
    assert client.get(f"/uploads/320/{photo.filename}").status_code == 200
    assert kept.stat().st_mtime_ns == made_at  # served from disk the second time
    assert sorted(os.listdir(uploads)) == sorted([photo.filename, kept.name])


@pytest.mark.parametrize("path", [
    "/uploads/300/{name}",  # a width nobody asks for
    "/uploads/320/{stem}-w320.jpg",  # a copy's own name
    "/uploads/{stem}-w320.jpg",
    "/uploads/320/0123456789abcdef0123456789abcdef.jpg",  # not stored
    "/uploads/320/..%2F{name}",
    "/uploads/320/proofs",
])
def test_only_stored_images_at_known_widths_are_served(client, burger, uploads, path):
    product = db.session.scalar(db.select(Product).where(Product.code == "COLA"))
    photo = give_photo(product)
    client.get(f"/uploads/320/{photo.filename}")  # the copy exists
    stem = photo.filename.rsplit(".", 1)[0]

    answer = client.get(path.format(name=photo.filename, stem=stem))

    assert answer.status_code == 404
    assert sorted(os.listdir(uploads)) == sorted([photo.filename, f"{stem}-w320.jpg"])


def test_deleting_an_image_deletes_its_copies(client, burger, uploads):
    product = db.session.scalar(db.select(Product).where(Product.code == "COLA"))
    photo = give_photo(product)
    for width in (320, 640):
        assert client.get(f"/uploads/{width}/{photo.filename}").status_code == 200

    delete_image(photo.filename)

    assert os.listdir(uploads) == []


# --- bounded SQL ----------------------------------------------------------------------------


def store_with(make, slug: str, count: int):
    store = make.store(slug)
    for n in range(count):
        product = make.product(store, f"P{n:03}", name=f"Produk {n:03}",
                               category=f"Kategori {n % 7}", stock=n % 9)
        for position in range(2):
            db.session.add(_photo(product, n, position))
    db.session.commit()
    return store


def _photo(product: Product, n: int, position: int) -> ProductPhoto:
    """A photo row (the grid only reads its name and size; no file is needed)."""
    return ProductPhoto(product_id=product.id,
                        filename=f"{product.store_id:08x}{n:022x}{position:02x}.jpg",
                        width=800, height=600, position=position)


def test_store_page_sends_as_many_statements_for_50_products_as_for_5(client, make,
                                                                      count_queries):
    store_with(make, "kecil", 5)
    store_with(make, "besar", 50)
    client.post("/store/besar/cart", data={"code": "P001", "qty": 1})
    client.post("/store/kecil/cart", data={"code": "P001", "qty": 1})
    html(client, "/store/kecil?q=P")  # warm: first use of the templates

    statements, again = {}, {}
    for slug in ("kecil", "besar"):
        with count_queries() as seen:
            page = html(client, f"/store/{slug}")
        statements[slug] = counted(seen)
        assert len(re.findall(r"<img ", page)) == min(PAGE_SIZE, 5 if slug == "kecil" else 50)
        with count_queries() as seen:
            assert html(client, f"/store/{slug}") == page
        again[slug] = counted(seen)
    assert len(statements["kecil"]) == len(statements["besar"]) <= 5, statements
    # Rendered once per catalog version: then only the store's row (with its version) is read.
    assert len(again["kecil"]) == len(again["besar"]) == 1, again


def test_product_page_sends_a_fixed_few_statements(client, make, count_queries):
    store_with(make, "besar", 30)
    with count_queries() as seen:
        html(client, "/store/besar/p/P005")
    # The store's row the first time this process sees its version, then only the version
    assert len(counted(seen)) <= 4, counted(seen)  # store (version, row), product, photos

    with count_queries() as seen:
        html(client, "/store/besar/p/P004")

    assert len(counted(seen)) <= 3, counted(seen)  # store's version, product, its photos


# --- English ----------------------------------------------------------------------------------


def test_catalog_texts_and_the_scripts_texts_are_english_in_english_mode(client, app):
    store, _ = seed_hosting_demo()
    db.session.commit()

    grid = html(client, f"/store/{store.slug}?lang=en&q=zzz")
    found = html(client, f"/store/{store.slug}?q=gold")
    product = html(client, f"/store/{store.slug}/p/GOLD")

    assert "No products found." in grid and "See all products" in grid
    assert 'placeholder="Search products"' in grid and ">Search</button>" in grid
    assert ">All</a>" in grid
    assert 'data-added="{name} added to the cart."' in grid
    assert 'data-summary="Cart: {count} item(s), {total}"' in grid
    assert "1 product(s) found" in found
    assert "/month" in product and "Number of months" in product
    assert "Add to cart" in product and "Specifications" in product
    for indonesian in ("Tambah", "Cari produk", "Tidak ada produk", "masuk keranjang",
                       "/bulan", "Jumlah bulan"):
        assert indonesian not in grid + found + product, indonesian
