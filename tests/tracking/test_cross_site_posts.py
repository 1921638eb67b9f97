"""The tracking page's forms (transfer proof, change request, cancellation) carry no session
token: the browser's Fetch Metadata (Sec-Fetch-Site) or Origin says whether the post came
from the shop's own page (web.own_pages_only), so the page needs no cookie. A post from
another site is refused with a message and changes nothing, with Flask-WTF's CSRF on."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Notification, Order, OrderEvent, OrderRequest, Payment

RIGHT = "7890"  # the order's phone is 081234567890
REFUSED = "hanya bisa dikirim dari halaman toko"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (20, 120, 200)).save(out, format="PNG")
    return out.getvalue()


FORMS = {
    "payment-proof": lambda: {"proof": (io.BytesIO(png()), "bukti.png")},
    "request-change": lambda: {"topic": "address", "message": "Ganti ke Jl. Thamrin 5",
                               "last_four": RIGHT},
    "cancel": lambda: {"last_four": RIGHT, "reason": "salah pesan"},
}
#: What browsers send with a form posted from another site (a sandboxed frame's Origin is
#: "null", but those browsers send Sec-Fetch-Site too).
OTHER_SITES = [
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://jahat.example"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
    {"Sec-Fetch-Site": "same-site", "Origin": "https://blog.toko.test"},
    {"Origin": "https://jahat.example"},  # a browser of 2020-2022: Origin, no Fetch Metadata
]
#: What the shop's own page sends: modern browsers, one without Fetch Metadata on a page
#: with Referrer-Policy no-referrer (Origin "null"), one that sends its origin, no browser.
OWN_PAGE = [
    {"Sec-Fetch-Site": "same-origin", "Origin": "null"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
    {"Origin": "null"},
    {"Origin": "http://localhost"},
    {},
]


@pytest.fixture
def order(make, burger, app, tmp_path):
    saved = app.config["UPLOAD_FOLDER"], app.config["WTF_CSRF_ENABLED"]
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    app.config["WTF_CSRF_ENABLED"] = True
    placed = make.order(burger, items=[("COLA", 2)], payment_method="bank_transfer")
    yield db.session.get(Order, placed.id)
    app.config["UPLOAD_FOLDER"], app.config["WTF_CSRF_ENABLED"] = saved


def state(order_id: str) -> tuple:
    db.session.expire_all()
    row = db.session.get(Order, order_id)
    counts = (db.session.scalar(select(func.count()).select_from(model))
              for model in (OrderEvent, OrderRequest, Notification, Payment))
    return row.status, row.payment_status, *counts


def post(client, order_id: str, form: str, headers: dict):
    return client.post(f"/track/{order_id}/{form}", data=FORMS[form](), headers=headers,
                       content_type="multipart/form-data")


def test_the_page_has_no_token_and_sets_no_cookie(client, order):
    answer = client.get(f"/track/{order.id}")

    page = answer.get_data(as_text=True)
    assert 'id="proof-form"' in page and 'id="cancel-form"' in page
    assert "csrf_token" not in page
    assert "Set-Cookie" not in answer.headers


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("headers", OTHER_SITES)
def test_a_form_posted_from_another_site_is_refused_and_changes_nothing(
        client, order, form, headers):
    before = state(order.id)

    answer = post(client, order.id, form, headers)

    assert answer.status_code == 403
    assert REFUSED in answer.get_data(as_text=True)
    assert state(order.id) == before


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("headers", OWN_PAGE)
def test_a_form_posted_from_the_shops_own_page_is_taken_without_a_token(
        client, order, form, headers):
    before = state(order.id)

    answer = post(client, order.id, form, headers)

    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/track/{order.id}")
    assert state(order.id) != before


def test_in_english_the_refusal_is_in_english(client, order):
    client.set_cookie("lang", "en")

    answer = post(client, order.id, "cancel", OTHER_SITES[0])

    assert answer.status_code == 403
    assert "This form can only be sent from the shop" in answer.get_data(as_text=True)


def test_the_stores_other_forms_still_need_their_session_token(client, order, burger):
    answer = client.post(f"/store/{burger.slug}/cart", data={"code": "COLA", "qty": "1"},
                         headers={"Sec-Fetch-Site": "same-origin"})
    assert answer.status_code == 400
