"""Hostile input to the checkout API (too deep, lone surrogates, odd digits, control
characters): a clear 4xx on both databases, never a 500, and a refusal writes nothing."""

from __future__ import annotations

import json

import pytest
from flask import request
from sqlalchemy import func, select

from shop.errors import BadRequest
from shop.extensions import db
from shop.models import Customer, Notification, Order, OrderItem

URL = "/api/orders/create-from-checkout"
TEXT_FIELDS = ("name", "phone", "address", "email", "courier", "payment_method", "notes",
               "idempotency_key")


@pytest.fixture
def warung(make):
    store = make.store("warung", name="Warung Bu Tini")
    make.product(store, "TEH", "5000", name="Es Teh", stock=10)
    make.product(store, "KOPI", "8000", name="Kopi Tubruk")
    return store


def body(**changes) -> dict:
    """Sari's order of two teas and a coffee, with some fields changed."""
    values = {
        "store": "warung", "name": "Sari Dewi", "phone": "081234567890",
        "address": "Jl. Melati 5, Bandung", "email": "sari@email.com", "courier": "JNE Regular",
        "payment_method": "cod", "notes": "Pedas", "idempotency_key": "sari-key-0001",
        "items": [{"code": "TEH", "qty": 2}, {"code": "KOPI", "qty": 1}],
    }
    values.update(changes)
    return values


def written() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Order, OrderItem, Customer, Notification))


NOTHING = (0, 0, 0, 0)


def post_raw(client, text: str):
    return client.post(URL, data=text, content_type="application/json")


def assert_refused(answer, status: int, code: str) -> dict:
    error = answer.get_json()
    assert answer.status_code == status, error
    assert error["success"] is False and error["code"] == code and error["error"]
    assert written() == NOTHING
    return error


# --- JSON nested too deeply ------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "[" * 1000 + "]" * 1000,
    '{"store": "warung", "items": ' + "[" * 1000 + "]" * 1000 + "}",
    '{"name": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}",
], ids=["deep list", "deep items", "deep object"])
def test_json_nested_a_thousand_levels_deep_is_a_400_bad_request(client, warung, text):
    answer = post_raw(client, text)

    assert_refused(answer, 400, "bad_request")


def test_json_nested_too_deeply_is_invalid_json_for_every_endpoint(app, warung):
    deep = "[" * 1000 + "]" * 1000
    with app.test_request_context("/api/anything", method="POST", data=deep,
                                  content_type="application/json"):
        assert request.get_json(silent=True) is None
        with pytest.raises(BadRequest) as refused:
            request.get_json()
    assert refused.value.code == "bad_request"
    with pytest.raises(ValueError):
        app.json.loads(deep)


def test_plain_invalid_json_without_silent_is_a_shop_bad_request(app):
    with app.test_request_context("/api/anything", method="POST", data="{nope",
                                  content_type="application/json"):
        with pytest.raises(BadRequest):
            request.get_json()


# --- lone surrogates -------------------------------------------------------------------------


@pytest.mark.parametrize("field", [*TEXT_FIELDS, "store"])
def test_lone_surrogate_in_a_text_field_is_a_422_naming_the_field(client, warung, field):
    value = body()[field]
    answer = client.post(URL, json=body(**{field: value[:4] + "\ud800" + value[4:]}))

    error = assert_refused(answer, 422, "invalid_input")
    assert field in error["fields"]


def test_lone_surrogate_in_an_item_code_is_a_422_on_the_items(client, warung):
    answer = client.post(URL, json=body(items=[{"code": "TEH\udfff", "qty": 1}]))

    error = assert_refused(answer, 422, "invalid_input")
    assert error["fields"] == {"items": "Kode tidak valid."}


# --- quantities that only look like numbers -------------------------------------------------


@pytest.mark.parametrize("qty", ["²", " 2² ", "１", "٣", "1" * 5000, "0" * 4999 + "1"],
                         ids=["superscript", "spaced superscript", "fullwidth", "arabic-indic",
                              "5000 digits", "5000 digits with zeros"])
def test_quantity_that_is_not_plain_digits_is_the_quantity_error(client, warung, qty):
    answer = client.post(URL, json=body(items=[{"code": "TEH", "qty": qty}]))

    error = assert_refused(answer, 422, "invalid_input")
    assert error["fields"] == {"items": "Jumlah harus 1 sampai 1000."}


def test_quantity_as_digits_within_bounds_still_counts(client, warung):
    answer = client.post(URL, json=body(items=[{"code": "TEH", "qty": " 0003 "}]))

    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["order"]["items"][0]["qty"] == 3


def test_quantity_as_a_json_number_of_5000_digits_is_a_400_not_a_500(client, warung):
    # The JSON decoder itself refuses integers past 4,300 digits: the body is not readable.
    text = json.dumps(body(items=[{"code": "TEH", "qty": 0}])).replace('"qty": 0',
                                                                      '"qty": ' + "9" * 5000)
    answer = post_raw(client, text)

    assert_refused(answer, 400, "bad_request")


# --- control characters ----------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x1b"], ids=["NUL", "ESC"])
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_control_character_in_a_text_field_is_a_422_naming_the_field(client, warung, field,
                                                                      char):
    value = body()[field]
    answer = client.post(URL, json=body(**{field: value[:4] + char + value[4:]}))

    error = assert_refused(answer, 422, "invalid_input")
    assert field in error["fields"]


@pytest.mark.parametrize("field", ["name", "phone", "email", "courier", "payment_method"])
@pytest.mark.parametrize("char", ["\n", "\t"], ids=["newline", "tab"])
def test_line_break_or_tab_inside_a_one_line_field_is_refused(client, warung, field, char):
    value = body()[field]
    answer = client.post(URL, json=body(**{field: value[:4] + char + value[4:]}))

    error = assert_refused(answer, 422, "invalid_input")
    assert field in error["fields"]


def test_address_and_notes_keep_their_line_breaks_and_tabs(client, warung):
    answer = client.post(URL, json=body(address="Jl. Melati 5\r\nRT 02/RW 03\nBandung",
                                        notes="Pedas\tsekali\nJangan pakai es"))

    assert answer.status_code == 201, answer.get_json()
    order = db.session.scalar(select(Order))
    assert order.shipping_address == "Jl. Melati 5\r\nRT 02/RW 03\nBandung"
    assert order.notes == "Pedas\tsekali\nJangan pakai es"


@pytest.mark.parametrize("code", ["TE\x00H", "TEH\x00", "\x00", "TE\nH", "TE\tH"])
def test_control_character_in_an_item_code_is_a_422_on_the_items(client, warung, code):
    answer = client.post(URL, json=body(items=[{"code": code, "qty": 1}]))

    error = assert_refused(answer, 422, "invalid_input")
    assert error["fields"] == {"items": "Kode tidak valid."}


@pytest.mark.parametrize("store", ["war\x00ung", "warung\x00", "war\nung"])
def test_control_character_in_the_store_is_a_422_on_the_store(client, warung, store):
    answer = client.post(URL, json=body(store=store))

    error = assert_refused(answer, 422, "invalid_input")
    assert list(error["fields"]) == ["store"]


def test_idempotency_key_with_a_trailing_newline_is_refused(client, warung):
    answer = client.post(URL, json=body(idempotency_key="sari-key-0001\n"))

    error = assert_refused(answer, 422, "invalid_input")
    assert "idempotency_key" in error["fields"]
