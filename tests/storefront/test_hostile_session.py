"""Hostile input to the storefront: a session cookie whose cart holds what no cart can, and
control characters in the checkout form, the cart form and the URL. Each gets a readable
page (or a 404), never a 500, and writes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Customer, Notification, Order, OrderItem

STORE = "/store/warung"
CHECKOUT = "/store/warung/checkout"
SARI = {"name": "Sari Dewi", "phone": "081234567890", "address": "Jl. Melati 5",
        "district": "Coblong", "city": "Bandung", "province": "Jawa Barat",
        "email": "sari@email.com", "courier": "JNE Regular", "payment_method": "cod",
        "notes": "Pedas", "idempotency_key": "page-key-123456"}
JSON = {"Accept": "application/json"}


@pytest.fixture
def warung(make):
    store = make.store("warung", name="Warung Bu Tini")
    make.product(store, "TEH", "5000", name="Es Teh", stock=10)
    make.product(store, "KOPI", "8000", name="Kopi Tubruk")
    return store


def forge(client, carts) -> None:
    """Put this value under the session's "carts", as a tampered or stale cookie would."""
    with client.session_transaction() as session:
        session["carts"] = carts


def cart_total(page: str) -> tuple[str, str]:
    count = re.search(r'id="cart-count">([^<]*)<', page).group(1)
    total = re.search(r'id="cart-total">([^<]*)<', page).group(1)
    return count, total


def cart_codes(page: str) -> list[str]:
    return re.findall(r'class="cart-line" data-code="([^"]+)"', page)


def written() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Order, OrderItem, Customer, Notification))


NOTHING = (0, 0, 0, 0)


# --- a forged or stale session cart ----------------------------------------------------------

BAD_QUANTITIES = [("text", "2"), ("float", 2.5), ("list", [2]), ("null", None), ("bool", True),
                  ("negative", -25), ("zero", 0), ("too many", 1001), ("dict", {"qty": 2})]


@pytest.mark.parametrize(("case", "qty"), BAD_QUANTITIES, ids=[c[0] for c in BAD_QUANTITIES])
def test_cart_line_with_a_bad_quantity_is_dropped_from_the_store_page(client, warung, case,
                                                                        qty):
    forge(client, {"warung": {"TEH": qty, "KOPI": 1}})

    page = client.get(STORE)

    assert page.status_code == 200
    assert cart_total(page.get_data(as_text=True)) == ("1", "Rp 8.000")


@pytest.mark.parametrize(("case", "qty"), BAD_QUANTITIES, ids=[c[0] for c in BAD_QUANTITIES])
def test_checkout_with_a_bad_session_line_orders_only_the_good_lines(client, warung, case, qty):
    forge(client, {"warung": {"TEH": qty, "KOPI": 1}})

    page = client.get(CHECKOUT)
    assert page.status_code == 200 and cart_codes(page.get_data(as_text=True)) == ["KOPI"]
    placed = client.post(CHECKOUT, data=SARI)

    assert placed.status_code == 303, placed.get_data(as_text=True)
    order = db.session.scalar(select(Order))
    assert [(i.code, i.qty) for i in order.items] == [("KOPI", 1)]


def test_negative_quantity_never_shows_a_negative_total(client, warung):
    forge(client, {"warung": {"TEH": -25}})

    html = client.get(STORE).get_data(as_text=True)

    assert "-Rp" not in html and cart_total(html) == ("0", "Rp 0")


@pytest.mark.parametrize("code", ["TE\x00H", "", " TEH", "T" * 51, "TEH\n", "\ud800"])
def test_cart_line_with_a_bad_code_is_dropped(client, warung, code):
    forge(client, {"warung": {code: 2, "KOPI": 1}})

    store_page, checkout = client.get(STORE), client.get(CHECKOUT)

    assert store_page.status_code == 200 and checkout.status_code == 200
    assert cart_codes(checkout.get_data(as_text=True)) == ["KOPI"]
    assert client.post(CHECKOUT, data=SARI).status_code == 303
    assert written()[:2] == (1, 1)


@pytest.mark.parametrize("cart", [["TEH", 2], "TEH", 3, None, [["TEH", 2]]],
                         ids=["list", "text", "number", "null", "pairs"])
def test_cart_that_is_not_a_mapping_is_an_empty_cart(client, warung, cart):
    forge(client, {"warung": cart})

    page, checkout = client.get(STORE), client.get(CHECKOUT)

    assert page.status_code == 200 and cart_total(page.get_data(as_text=True)) == ("0", "Rp 0")
    assert checkout.status_code == 200
    assert client.post(CHECKOUT, data=SARI).status_code == 422
    assert written() == NOTHING


@pytest.mark.parametrize("carts", [["warung"], "warung", 7, None], ids=["list", "text", "number",
                                                                        "null"])
def test_carts_value_that_is_not_a_mapping_is_no_cart_and_a_new_cart_replaces_it(
    client, warung, carts
):
    forge(client, carts)

    assert client.get(STORE).status_code == 200
    assert client.get(CHECKOUT).status_code == 200
    added = client.post(f"{STORE}/cart", data={"code": "TEH", "qty": "2"}, headers=JSON)

    assert added.status_code == 200 and added.get_json()["count"] == 2
    with client.session_transaction() as session:
        assert session["carts"] == {"warung": {"TEH": 2}}


# --- control characters in the forms ---------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x1b"], ids=["NUL", "ESC"])
@pytest.mark.parametrize("field", ["name", "phone", "address", "email", "notes"])
def test_control_character_in_a_checkout_field_is_a_field_error(client, warung, field, char):
    client.post(f"{STORE}/cart", data={"code": "TEH", "qty": "2"})

    answer = client.post(CHECKOUT, data={**SARI, field: SARI[field][:4] + char + SARI[field][4:]})

    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "Berisi karakter yang tidak diizinkan." in html
    tag = re.search(rf'<[^>]*\bid="{field}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in tag
    assert written() == NOTHING


@pytest.mark.parametrize("field", ["courier", "payment_method", "idempotency_key"])
def test_nul_in_a_chosen_or_hidden_field_is_refused(client, warung, field):
    client.post(f"{STORE}/cart", data={"code": "TEH", "qty": "2"})

    answer = client.post(CHECKOUT, data={**SARI, field: SARI[field] + "\x00"})

    assert answer.status_code == 422
    assert written() == NOTHING


def test_nul_in_a_free_text_courier_is_refused(client, make):
    store = make.store("ojek", couriers=[])
    make.product(store, "NASI", "12000")
    client.post("/store/ojek/cart", data={"code": "NASI", "qty": "1"})

    answer = client.post("/store/ojek/checkout", data={**SARI, "courier": "Ojek\x00Pak Dul"})

    assert answer.status_code == 422
    assert "Berisi karakter yang tidak diizinkan." in answer.get_data(as_text=True)
    assert written() == NOTHING


def test_address_and_notes_typed_on_several_lines_are_kept(client, warung):
    client.post(f"{STORE}/cart", data={"code": "TEH", "qty": "2"})

    answer = client.post(CHECKOUT, data={**SARI, "address": "Jl. Melati 5\r\nBandung",
                                         "notes": "Pedas\r\n\tsekali"})

    assert answer.status_code == 303
    order = db.session.scalar(select(Order))
    assert order.shipping_address == "Jl. Melati 5\r\nBandung"
    assert order.notes == "Pedas\r\n\tsekali"


@pytest.mark.parametrize(("action", "status"), [("add", 422), ("set", 422), ("remove", 200)])
def test_nul_in_a_cart_form_code_leaves_the_cart_as_it_was(client, warung, action, status):
    client.post(f"{STORE}/cart", data={"code": "KOPI", "qty": "1"})

    answer = client.post(f"{STORE}/cart", data={"code": "TE\x00H", "qty": "1", "action": action},
                         headers=JSON)

    assert answer.status_code == status, answer.get_data(as_text=True)
    with client.session_transaction() as session:
        assert session["carts"] == {"warung": {"KOPI": 1}}


# --- control characters in the URL -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/store/war%00ung", "/store/warung%00", "/store/x%00/checkout",
                                  "/store/warung%00/checkout", "/store/war%0Aung",
                                  "/track/c%00", "/track/" + "c" * 26 + "%00",
                                  "/track/" + "c" * 26 + "%0A"])
def test_control_character_in_the_path_is_a_404(client, warung, path):
    answer = client.get(path)

    assert answer.status_code == 404


def test_control_character_in_the_cart_forms_path_is_a_404(client, warung):
    answer = client.post("/store/war%00ung/cart", data={"code": "TEH", "qty": "1"}, headers=JSON)

    assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"
