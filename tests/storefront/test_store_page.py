"""The store page /store/<slug> and its cart (seed 000: "Pilih produk -> Add to cart")."""

from __future__ import annotations

import re

import pytest

from shop.extensions import db
from shop.models import Product


@pytest.fixture
def other_store(make):
    store = make.store("warungsate", name="Warung Sate")
    make.product(store, "SATE", "20000", name="Sate Ayam", category="Sate")
    return store


JSON = {"Accept": "application/json"}


def cart_post(client, code, qty=None, action="add", slug="burgerchina", **extra):
    """POST the cart form the way the store page's form does."""
    headers = extra.pop("headers", None)
    data = {"code": code, "action": action, **extra}
    if qty is not None:
        data["qty"] = qty
    return client.post(f"/store/{slug}/cart", data=data, headers=headers)


def add(client, code, qty=1, slug="burgerchina"):
    answer = client.post(f"/store/{slug}/cart", data={"code": code, "qty": qty}, headers=JSON)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def session_cart(client, slug="burgerchina") -> dict:
    """The cart as the signed session cookie carries it."""
    with client.session_transaction() as session:
        return dict(session.get("carts", {}).get(slug, {}))


def products_on(page: str) -> dict[str, str]:
    """Each product card of the page: code -> the card's HTML."""
    cards = re.findall(r'<article class="card product" data-code="([^"]+)">(.*?)</article>', page,
                       re.S)
    return dict(cards)


def text_of(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    assert match, f"#{element_id} is missing"
    return match.group(1).strip()


def badge(card: str) -> str:
    return re.search(r'<span class="badge [a-z]+">([^<]*)</span>', card).group(1)


# --- the store page -------------------------------------------------------------------------


def test_store_page_lists_the_active_products_only(client, burger, other_store):
    page = client.get("/store/burgerchina")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert sorted(products_on(html)) == ["BRG-CHEESE", "COLA", "FRIES", "NUGGET", "SUNDAE"]
    assert "Menu Lama" not in html and "Sate Ayam" not in html
    assert "<h1>Burger China</h1>" in html and "Jl. Gajah Mada 1, Jakarta" in html


def test_each_product_shows_its_name_category_and_price_in_rupiah(client, burger):
    cards = products_on(client.get("/store/burgerchina").get_data(as_text=True))

    shown = {
        code: (re.search(r"<h3>(.*?)</h3>", card).group(1),
               re.search(r'<p class="muted">(.*?)</p>', card).group(1),
               re.search(r'<p class="price">(.*?)</p>', card).group(1))
        for code, card in cards.items()
    }
    assert shown == {
        "BRG-CHEESE": ("Burger Cheese", "Burger", "Rp 25.000"),
        "FRIES": ("French Fries", "Snack", "Rp 15.000"),
        "COLA": ("Cola", "Minuman", "Rp 8.000"),
        "NUGGET": ("Nugget", "Snack", "Rp 18.000"),
        "SUNDAE": ("Sundae", "Dessert", "Rp 12.000"),
    }


def test_each_product_shows_its_stock_state(client, burger):
    cards = products_on(client.get("/store/burgerchina").get_data(as_text=True))

    assert {code: badge(card) for code, card in cards.items()} == {
        "BRG-CHEESE": "Dibuat saat dipesan",  # made to order: no stock kept
        "FRIES": "Dibuat saat dipesan",
        "COLA": "Tersedia",
        "NUGGET": "Sisa 3",  # at or below the low-stock threshold (5)
        "SUNDAE": "Stok habis",
    }
    assert re.search(r'<button type="submit"\s*disabled>', cards["SUNDAE"])
    assert "disabled" not in cards["COLA"]


def test_low_stock_follows_each_products_own_threshold(client, make):
    store = make.store("kopi")
    make.product(store, "BEANS", "90000", stock=8, low_stock_threshold=10)
    make.product(store, "CUP", "5000", stock=8, low_stock_threshold=2)

    cards = products_on(client.get("/store/kopi").get_data(as_text=True))

    assert (badge(cards["BEANS"]), badge(cards["CUP"])) == ("Sisa 8", "Tersedia")


def test_store_without_products_says_so(client, make):
    make.store("kosong")

    page = client.get("/store/kosong").get_data(as_text=True)

    assert "Belum ada produk." in page and not products_on(page)


@pytest.mark.parametrize("path", ["/store/nope", "/store/tutup", "/store/" + "x" * 200,
                                  "/store/nope/checkout", "/store/tutup/checkout"])
def test_unknown_or_inactive_store_is_a_404_page(client, make, path):
    closed = make.store("tutup", name="Toko Tutup", is_active=False)
    make.product(closed, "SECRET", "1000", name="Produk Rahasia")

    page = client.get(path)

    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "Toko tidak ditemukan." in html
    assert "Toko Tutup" not in html and "Produk Rahasia" not in html


def test_cart_of_an_inactive_store_is_refused(client, make):
    closed = make.store("tutup", is_active=False)
    make.product(closed, "SECRET", "1000")

    answer = cart_post(client, "SECRET", 1, slug="tutup", headers=JSON)

    assert answer.status_code == 404
    assert answer.get_json()["success"] is False
    assert session_cart(client, "tutup") == {}


# --- the cart -------------------------------------------------------------------------------


def test_added_products_survive_page_loads_in_the_session_cookie(app, client, burger):
    first = cart_post(client, "BRG-CHEESE", 2)
    assert first.status_code == 303 and first.headers["Location"].endswith("/store/burgerchina")
    cart_post(client, "FRIES", 1)

    page = client.get("/store/burgerchina").get_data(as_text=True)
    assert (text_of(page, "cart-count"), text_of(page, "cart-total")) == ("3", "Rp 65.000")
    assert "Keranjang: 3 item" in page
    again = client.get("/store/burgerchina").get_data(as_text=True)
    assert text_of(again, "cart-count") == "3"
    checkout = client.get("/store/burgerchina/checkout").get_data(as_text=True)
    assert re.findall(r'class="cart-line" data-code="([^"]+)"', checkout) == ["BRG-CHEESE",
                                                                             "FRIES"]
    # The cart lives in the cookie only: another browser has an empty one.
    stranger = app.test_client().get("/store/burgerchina").get_data(as_text=True)
    assert text_of(stranger, "cart-count") == "0"


def test_adding_without_a_quantity_adds_one(client, burger):
    cart_post(client, "COLA")

    assert session_cart(client) == {"COLA": 1}


def test_adding_the_same_product_again_adds_up(client, burger):
    add(client, "COLA", 2)

    answer = add(client, "COLA", 3)

    assert answer["count"] == 5 and session_cart(client) == {"COLA": 5}


def test_add_answers_json_with_the_carts_count_and_total(client, burger):
    add(client, "BRG-CHEESE", 2)

    answer = add(client, "FRIES", 1)

    assert answer == {"success": True, "count": 3, "total": "65000.00",
                      "total_text": "Rp 65.000"}


def test_shopper_changes_a_quantity(client, burger):
    add(client, "BRG-CHEESE", 2)
    add(client, "FRIES", 1)

    answer = cart_post(client, "BRG-CHEESE", 5, action="set", headers=JSON)

    assert answer.status_code == 200
    assert answer.get_json()["count"] == 6 and answer.get_json()["total"] == "140000.00"
    assert session_cart(client) == {"BRG-CHEESE": 5, "FRIES": 1}


def test_setting_a_quantity_to_zero_removes_the_line(client, burger):
    add(client, "BRG-CHEESE", 2)
    add(client, "FRIES", 1)

    answer = cart_post(client, "BRG-CHEESE", 0, action="set", headers=JSON)

    assert answer.get_json()["count"] == 1 and session_cart(client) == {"FRIES": 1}


def test_shopper_removes_a_line(client, burger):
    add(client, "BRG-CHEESE", 2)
    add(client, "FRIES", 1)

    answer = cart_post(client, "FRIES", action="remove")

    assert answer.status_code == 303
    assert session_cart(client) == {"BRG-CHEESE": 2}
    page = client.get("/store/burgerchina").get_data(as_text=True)
    assert (text_of(page, "cart-count"), text_of(page, "cart-total")) == ("2", "Rp 50.000")


def test_removing_the_last_line_empties_the_cart(client, burger):
    add(client, "COLA", 1)

    cart_post(client, "COLA", action="remove")

    page = client.get("/store/burgerchina").get_data(as_text=True)
    assert text_of(page, "cart-count") == "0" and "Keranjang: 0 item, Rp 0" in page
    assert session_cart(client) == {} and '<p class="card row" id="cart-bar" hidden>' in page


def test_carts_of_two_stores_are_kept_apart(client, burger, other_store):
    add(client, "BRG-CHEESE", 2)
    add(client, "SATE", 4, slug="warungsate")

    assert session_cart(client) == {"BRG-CHEESE": 2}
    assert session_cart(client, "warungsate") == {"SATE": 4}
    page = client.get("/store/warungsate").get_data(as_text=True)
    assert (text_of(page, "cart-count"), text_of(page, "cart-total")) == ("4", "Rp 80.000")


def test_cart_form_goes_back_to_the_page_it_came_from_but_never_elsewhere(client, burger):
    back = cart_post(client, "COLA", 1, next="/store/burgerchina/checkout")
    away = cart_post(client, "COLA", 1, next="https://evil.example/phish")
    sneaky = cart_post(client, "COLA", 1, next="/store/burgerchina//evil.example")

    assert back.headers["Location"].endswith("/store/burgerchina/checkout")
    assert away.headers["Location"].endswith("/store/burgerchina")
    assert sneaky.headers["Location"].endswith("/store/burgerchina")


QUANTITY_MESSAGE = "Jumlah harus antara 1 dan 1.000."
BAD_QUANTITIES = [
    ("add zero", "add", "0"),
    ("add negative", "add", "-1"),
    ("add above 1000", "add", "1001"),
    ("add text", "add", "dua"),
    ("add fraction", "add", "1.5"),
    ("set negative", "set", "-1"),
    ("set above 1000", "set", "1001"),
    ("set text", "set", "dua"),
    ("set empty", "set", ""),
]


@pytest.mark.parametrize(("case", "action", "qty"), BAD_QUANTITIES,
                         ids=[c[0] for c in BAD_QUANTITIES])
def test_bad_quantity_is_refused_as_json_and_the_cart_is_unchanged(client, burger, case, action,
                                                                    qty):
    add(client, "BRG-CHEESE", 2)

    answer = cart_post(client, "BRG-CHEESE", qty, action=action, headers=JSON)

    assert answer.status_code == 422
    assert answer.get_json()["success"] is False
    assert answer.get_json()["error"] == QUANTITY_MESSAGE
    assert session_cart(client) == {"BRG-CHEESE": 2}


@pytest.mark.parametrize("qty", ["0", "-1", "1001", "dua"])
def test_bad_quantity_from_the_plain_form_is_flashed_on_the_store_page(client, burger, qty):
    add(client, "BRG-CHEESE", 2)

    answer = cart_post(client, "FRIES", qty)
    page = client.get(answer.headers["Location"]).get_data(as_text=True)

    assert answer.status_code == 303
    assert f'<p class="flash error" role="status">{QUANTITY_MESSAGE}</p>' in page
    assert (text_of(page, "cart-count"), text_of(page, "cart-total")) == ("2", "Rp 50.000")
    assert session_cart(client) == {"BRG-CHEESE": 2}


def test_adding_more_than_1000_in_steps_is_refused(client, burger):
    add(client, "FRIES", 1000)

    answer = cart_post(client, "FRIES", 1, headers=JSON)

    assert answer.status_code == 422
    assert session_cart(client) == {"FRIES": 1000}


UNSELLABLE = [
    ("inactive product", "OLD", 1, 422, "Produk tidak tersedia."),
    ("product of another store", "SATE", 1, 422, "Produk tidak tersedia."),
    ("unknown product", "NOPE", 1, 422, "Produk tidak tersedia."),
    ("out of stock", "SUNDAE", 1, 409, "Stok tidak cukup untuk: Sundae."),
    ("more than the stock", "NUGGET", 4, 422, "Stok Nugget tinggal 3."),
]


@pytest.mark.parametrize(("case", "code", "qty", "status", "message"), UNSELLABLE,
                         ids=[c[0] for c in UNSELLABLE])
def test_product_that_cannot_be_bought_is_refused_and_the_cart_is_unchanged(
    client, burger, other_store, case, code, qty, status, message
):
    add(client, "BRG-CHEESE", 2)

    answer = cart_post(client, code, qty, headers=JSON)
    flashed = cart_post(client, code, qty)
    page = client.get("/store/burgerchina").get_data(as_text=True)

    assert answer.status_code == status
    assert answer.get_json()["error"] == message and answer.get_json()["success"] is False
    assert flashed.status_code == 303 and message in page
    assert session_cart(client) == {"BRG-CHEESE": 2}
    assert session_cart(client, "warungsate") == {}


def test_quantity_above_the_stock_is_refused_when_changed_in_the_cart(client, burger):
    add(client, "NUGGET", 2)

    answer = cart_post(client, "NUGGET", 4, action="set", headers=JSON)

    assert answer.status_code == 422
    assert answer.get_json()["error"] == "Stok Nugget tinggal 3."
    assert session_cart(client) == {"NUGGET": 2}


def test_changing_a_product_that_is_not_in_the_cart_is_refused(client, burger):
    add(client, "COLA", 1)

    answer = cart_post(client, "FRIES", 3, action="set", headers=JSON)

    assert answer.status_code == 422
    assert answer.get_json()["error"] == "Produk tidak ada di keranjang."
    assert session_cart(client) == {"COLA": 1}


def test_product_deactivated_after_adding_leaves_the_store_page_total(client, burger):
    add(client, "BRG-CHEESE", 2)
    add(client, "FRIES", 1)

    db.session.execute(db.update(Product).where(Product.code == "FRIES").values(is_active=False))
    db.session.commit()
    page = client.get("/store/burgerchina").get_data(as_text=True)

    assert (text_of(page, "cart-count"), text_of(page, "cart-total")) == ("2", "Rp 50.000")
    assert "FRIES" not in products_on(page)


@pytest.mark.parametrize("path", ["", "/checkout", "/chat"])
def test_no_id_is_given_twice_on_a_page_with_a_full_cart(client, burger, path):
    add(client, "BRG-CHEESE", 2)
    add(client, "FRIES", 1)
    html = client.get(f"/store/burgerchina{path}").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert ids and len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_the_hidden_attribute_wins_over_every_display_rule(client):
    css = client.get("/static/shop.css").get_data(as_text=True)
    assert "[hidden]{display:none!important}" in css


@pytest.mark.parametrize(("came_from", "back_to"), [
    ("/store/burgerchina?q=burger&kategori=Burger&halaman=2",
     "/store/burgerchina?q=burger&kategori=Burger&halaman=2"),
    ("/store/burgerchina?q=burger&evil=1", "/store/burgerchina?q=burger"),
    ("/store/burgerchina/p/FRIES", "/store/burgerchina/p/FRIES"),
    ("/store/burgerchina/checkout", "/store/burgerchina/checkout"),
    ("https://evil.example/store/burgerchina", "/store/burgerchina"),
    ("//evil.example/store/burgerchina", "/store/burgerchina"),
    ("/store/other-shop", "/store/burgerchina"),
    ("/store/burgerchina/p/a/b/../../../../admin", "/store/burgerchina"),
    ("/store/burgerchina\\@evil.example", "/store/burgerchina"),
])
def test_a_plain_add_goes_back_to_the_page_it_came_from_and_nowhere_else(
        client, burger, came_from, back_to):
    answer = client.post("/store/burgerchina/cart",
                         data={"code": "FRIES", "qty": "1", "next": came_from})

    assert answer.status_code == 303
    assert answer.headers["Location"] == back_to
