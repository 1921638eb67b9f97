"""English mode is complete for what the operations answer: field errors, refusals, the JSON
checkout's errors and dates follow the request's language (?lang=en or the lang cookie, for
pages and the JSON API alike); Indonesian stays the default, also outside any request."""

from __future__ import annotations

import contextvars
import io
import re
from datetime import UTC, datetime

import pytest
from flask_babel import get_locale
from sqlalchemy import func, select, update

from shop.errors import InvalidInput
from shop.extensions import db
from shop.models import Customer, Order, OrderEvent, Product
from shop.services.phones import normalize_phone
from shop.services.validation import clean_cart
from shop.web import local_datetime

CHECKOUT = "/store/burgerchina/checkout"
API = "/api/orders/create-from-checkout"
#: Words of the Indonesian messages that must not be left in an English page or answer.
INDONESIAN = ("wajib", "tidak valid", "periksa kembali", "tidak tersedia", "harus", "nomor hp",
              "maksimal", "keranjang")
#: Every field of the checkout wrong (or missing where it is required).
ALL_WRONG = {
    "name": "", "phone": "0812ABCD7890", "address": "", "district": "", "city": "",
    "province": "", "postal_code": "123", "email": "bukan-email", "courier": "",
    "payment_method": "", "notes": "",
}
BUDI = {
    "name": "Budi Santoso", "phone": "081234567890", "address": "Jl. Sudirman No. 123",
    "district": "Setiabudi", "city": "Jakarta Selatan", "province": "DKI Jakarta",
    "postal_code": "12190", "email": "", "courier": "JNE Regular",
    "payment_method": "bank_transfer", "notes": "",
}


def indonesian_left(text: str) -> list[str]:
    """The Indonesian words of INDONESIAN found in the text (case-insensitive)."""
    lowered = text.lower()
    return [word for word in INDONESIAN if word in lowered]


def field_errors(html: str) -> list[str]:
    return [" ".join(e.split()) for e in re.findall(r'class="field-error">([^<]*)<', html)]


def top_errors(html: str) -> list[str]:
    return [" ".join(e.split()) for e in
            re.findall(r'<p class="errors" role="alert">([^<]*)</p>', html)]


def orders() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


def add_to_cart(client, code: str, qty: str = "1"):
    answer = client.post("/store/burgerchina/cart", data={"code": code, "qty": qty},
                         headers={"Accept": "application/json"})
    return answer


# --- the storefront -----------------------------------------------------------------------


def test_english_checkout_with_every_field_wrong_shows_english_field_errors(client, burger):
    client.get("/store/burgerchina?lang=en")
    assert add_to_cart(client, "COLA").status_code == 200

    answer = client.post(CHECKOUT, data=ALL_WRONG)

    html = answer.get_data(as_text=True)
    errors = field_errors(html)
    assert answer.status_code == 422 and orders() == 0
    assert "Required." in errors
    assert "A WhatsApp number may only contain digits (spaces, +, - and brackets are fine). " \
           "Example: 081234567890" in errors
    assert "A postal code has 5 digits." in errors
    assert "Invalid email address." in errors
    assert indonesian_left(" ".join(errors + top_errors(html))) == []


def test_english_checkout_refused_by_the_operation_shows_english_errors(client, burger):
    client.get("/store/burgerchina?lang=en")
    add_to_cart(client, "COLA")

    answer = client.post(CHECKOUT, data={**BUDI, "courier": "Kapal Laut",
                                         "payment_method": "bitcoin"})

    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and orders() == 0
    assert "Choose a courier from the list." in field_errors(html)
    assert "Choose a method from the list." in field_errors(html)
    assert indonesian_left(" ".join(field_errors(html) + top_errors(html))) == []


def test_english_checkout_summary_of_an_out_of_stock_cart_is_english(client, burger):
    client.get("/store/burgerchina?lang=en")
    add_to_cart(client, "NUGGET", "3")
    db.session.execute(update(Product).where(Product.code == "NUGGET").values(stock=1))
    db.session.commit()

    answer = client.post(CHECKOUT, data=BUDI)

    assert answer.status_code == 422 and orders() == 0
    assert top_errors(answer.get_data(as_text=True)) == ["Not enough stock for: Nugget."]


def test_indonesian_checkout_keeps_the_indonesian_messages(client, burger):
    add_to_cart(client, "NUGGET", "3")
    db.session.execute(update(Product).where(Product.code == "NUGGET").values(stock=1))
    db.session.commit()

    short = client.post(CHECKOUT, data=BUDI).get_data(as_text=True)
    wrong = client.post(CHECKOUT, data={**BUDI, "courier": "Kapal Laut"}).get_data(as_text=True)

    assert top_errors(short) == ["Stok tidak cukup untuk: Nugget."]
    assert "Pilih kurir dari daftar." in field_errors(wrong)
    assert orders() == 0


def test_english_add_to_cart_refusal_is_english(client, burger):
    client.get("/store/burgerchina?lang=en")

    answer = add_to_cart(client, "OLD")
    flashed = client.post("/store/burgerchina/cart", data={"code": "NUGGET", "qty": "9"})

    assert answer.status_code == 422
    assert answer.get_json()["error"] == "This product is not available."
    assert flashed.status_code == 303
    page = client.get("/store/burgerchina").get_data(as_text=True)
    assert "Only 3 Nugget left in stock." in page and "Stok Nugget" not in page
    with client.session_transaction() as session:
        assert not session.get("carts", {}).get("burgerchina")


def test_indonesian_add_to_cart_refusal_stays_indonesian(client, burger):
    answer = add_to_cart(client, "OLD")

    assert answer.get_json()["error"] == "Produk tidak tersedia."


# --- the JSON API ---------------------------------------------------------------------------


def api_body(**changes) -> dict:
    return {"store": "burgerchina", "name": "Budi Santoso", "phone": "081234567890",
            "address": "Jl. Sudirman No. 123", "courier": "JNE Regular",
            "payment_method": "bank_transfer", "items": [{"code": "COLA", "qty": 1}], **changes}


@pytest.mark.parametrize("how", ["query", "cookie"])
def test_json_checkout_answers_in_english_when_asked(client, burger, how):
    url = API + "?lang=en" if how == "query" else API
    if how == "cookie":
        client.set_cookie("lang", "en")

    answer = client.post(url, json=api_body(phone="0212345678", email="x@", name=""))

    body = answer.get_json()
    assert answer.status_code == 422 and orders() == 0
    assert body["error"] == "Please check the highlighted fields."
    assert body["fields"]["name"] == "Required."
    assert body["fields"]["phone"].startswith("The WhatsApp number must be a mobile number")
    assert body["fields"]["email"] == "Invalid email address."
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0


def test_json_checkout_is_indonesian_by_default_even_with_a_browsers_accept_language(
        client, burger):
    answer = client.post(API, json=api_body(items=[{"code": "NUGGET", "qty": 9}]),
                         headers={"Accept-Language": "en-US,en;q=0.9"})

    body = answer.get_json()
    assert answer.status_code == 409
    assert body["error"] == "Stok tidak cukup untuk: Nugget."
    assert orders() == 0


# --- dates ----------------------------------------------------------------------------------


def placed_in_december(make, burger) -> Order:
    placed = make.order(burger, items=[("COLA", 1)])
    db.session.execute(update(OrderEvent).where(OrderEvent.order_id == placed.id)
                       .values(created_at=datetime(2026, 12, 3, 2, 0, tzinfo=UTC)))
    db.session.commit()
    return placed


def test_tracking_page_in_english_writes_english_dates_and_headings(client, make, burger):
    placed = placed_in_december(make, burger)

    html = client.get(f"/track/{placed.id}?lang=en").get_data(as_text=True)

    assert "3 Dec 2026, 09:00" in html and "Des 2026" not in html
    assert "Track order" in html and "Order history" in html
    assert "Tracking Pesanan" not in html and "Timeline" not in html


def test_tracking_page_in_indonesian_writes_indonesian_dates_and_headings(client, make, burger):
    placed = placed_in_december(make, burger)

    html = client.get(f"/track/{placed.id}").get_data(as_text=True)

    assert "3 Des 2026, 09:00" in html
    assert "Lacak Pesanan" in html and "Riwayat Pesanan" in html
    assert "Tracking Pesanan" not in html and "Timeline" not in html


def test_transfer_instructions_name_the_account_holder_in_the_page_language(
        client, make, burger):
    placed = make.order(burger, items=[("COLA", 1)], payment_method="bank_transfer")

    english = client.get(f"/track/{placed.id}?lang=en").get_data(as_text=True)
    indonesian = client.get(f"/track/{placed.id}?lang=id").get_data(as_text=True)

    assert '<span class="muted">(account name: Toko)</span>' in english
    assert "a.n." not in english and "8800112233" in english
    assert '<span class="muted">a.n. Toko</span>' in indonesian


# --- outside any request --------------------------------------------------------------------


def refusal(clean, *args) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        clean(*args)
    return refused.value


def test_a_service_outside_any_app_or_request_answers_in_indonesian():
    # A fresh context holds no app and no request (a bare script, a thread of its own).
    error = contextvars.Context().run(refusal, normalize_phone, "")

    assert error.message == "Nomor WhatsApp wajib diisi."
    assert error.fields == {"phone": "Wajib diisi."}


def test_a_service_in_a_job_or_cli_answers_in_indonesian_and_dates_are_indonesian(app):
    # A job or a CLI command: the app's context, no request (select_locale must not read one).
    def in_a_job():
        with app.app_context():
            return (str(get_locale()), refusal(clean_cart, []).message,
                    refusal(normalize_phone, "0812ABCD7890").message,
                    local_datetime(datetime(2026, 12, 3, 2, 0, tzinfo=UTC)))

    locale, empty_cart, letters, moment = contextvars.Context().run(in_a_job)

    assert locale == "id"
    assert empty_cart == "Keranjang masih kosong."
    assert letters.startswith("Nomor WhatsApp hanya boleh berisi angka")
    assert moment == "3 Des 2026, 09:00"


def test_a_refusal_message_is_plain_text_ready_for_json_and_the_database(client):
    client.get("/?lang=en")
    with client.application.test_request_context("/?lang=en"):
        error = refusal(normalize_phone, "+62 21 555 1234")

    assert type(error.message) is str and type(error.fields["phone"]) is str
    assert error.message.startswith("The WhatsApp number must be a mobile number")


def test_english_transfer_proof_refusals_are_english(client, make, burger):
    placed = make.order(burger, items=[("COLA", 1)], payment_method="bank_transfer")
    url = f"/track/{placed.id}/payment-proof"
    client.get(f"/track/{placed.id}?lang=en")

    client.post(url, data={}, content_type="multipart/form-data")
    missing = client.get(f"/track/{placed.id}").get_data(as_text=True)
    client.post(url, data={"proof": (io.BytesIO(b"not a photo"), "bukti.png")},
                content_type="multipart/form-data")
    not_a_photo = client.get(f"/track/{placed.id}").get_data(as_text=True)

    assert "Choose a photo of your transfer receipt." in missing
    assert "The file must be a JPEG, PNG or WebP photo." in not_a_photo
    assert db.session.get(Order, placed.id).payment_status.value == "PENDING"
