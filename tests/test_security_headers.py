"""Security headers: a Content-Security-Policy on every response, with a per-request script
nonce, and pages holding private data never stored (checkout, success page, back office)."""

from __future__ import annotations

import pytest
from flask import render_template_string

from shop.web import csp_nonce

CHECKOUT = "/store/burgerchina/checkout"
BUDI = {
    "name": "Budi Santoso", "phone": "081234567890", "address": "Jl. Sudirman No. 123",
    "district": "Setiabudi", "city": "Jakarta Selatan", "province": "DKI Jakarta",
    "courier": "JNE Regular", "payment_method": "bank_transfer",
}


def policy(response) -> dict[str, str]:
    """The response's CSP as {directive: sources}."""
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def add_to_cart(client) -> None:
    answer = client.post("/store/burgerchina/cart", data={"code": "BRG-CHEESE", "qty": 1},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.get_json()


def test_store_page_gets_the_strict_policy_without_a_nonce(client, burger):
    # When a shopper opens the store page (its only script is static/cart.js)
    answer = client.get("/store/burgerchina")
    # Then scripts, styles and everything else come from the shop itself
    assert answer.status_code == 200
    assert policy(answer) == {
        "default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
        "img-src": "'self' data:", "object-src": "'none'", "base-uri": "'none'",
        "frame-ancestors": "'none'", "form-action": "'self'",
    }


@pytest.mark.parametrize("path", ["/store/nowhere", "/track/unknown-order-id", "/api/nothing"])
def test_error_pages_get_the_policy_too(client, path):
    answer = client.get(path)
    assert answer.status_code == 404
    assert policy(answer)["script-src"] == "'self'"
    assert policy(answer)["object-src"] == "'none'"


def test_a_used_nonce_is_the_same_all_request_long_and_goes_into_script_src(app, database):
    # Given one request in which a view and a template both ask for the nonce
    with app.test_request_context("/store/burgerchina"):
        nonce = csp_nonce()
        assert csp_nonce() == nonce
        assert render_template_string("{{ csp_nonce() }}") == nonce
        # When the response is finished
        response = app.process_response(app.make_response("ok"))
    # Then script-src allows exactly that nonce, beside the shop's own files
    assert policy(response)["script-src"] == f"'self' 'nonce-{nonce}'"
    assert len(nonce) >= 22  # 16 random bytes


def test_every_request_gets_its_own_nonce_even_in_one_app_context(app, database):
    # Given two requests in one app context (as in tests and CLI commands, where g survives)
    with app.app_context():
        with app.test_request_context("/"):
            first = csp_nonce()
        with app.test_request_context("/"):
            # Then the second neither reuses the first nonce nor sends one it did not use
            response = app.process_response(app.make_response("ok"))
            assert policy(response)["script-src"] == "'self'"
            second = csp_nonce()
    assert second != first


@pytest.mark.parametrize("path", ["/admin", "/admin/", "/admin/order/"])
def test_back_office_allows_inline_styles_and_is_never_stored(client, path):
    answer = client.get(path)
    assert policy(answer)["style-src"] == "'self' 'unsafe-inline'"
    assert policy(answer)["script-src"].startswith("'self'")
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_path_that_only_starts_like_admin_is_not_the_back_office(client):
    answer = client.get("/administrasi")
    assert policy(answer)["style-src"] == "'self'"
    assert "no-store" not in answer.headers.get("Cache-Control", "")


def test_checkout_page_is_never_stored(client, burger):
    # The page carries the idempotency key of the order about to be placed
    add_to_cart(client)
    answer = client.get(CHECKOUT)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_order_page_after_checkout_is_never_stored(client, burger):
    # Given a cart; when the checkout is sent, then the redirect and the tracking page it leads
    # to (with the thank-you banner) are not stored
    add_to_cart(client)
    answer = client.post(CHECKOUT, data=BUDI)
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/track/")
    assert answer.headers["Cache-Control"] == "no-store"
    page = client.get(answer.headers["Location"])
    assert "thanks" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


def test_refused_checkout_is_never_stored(client, burger):
    add_to_cart(client)
    answer = client.post(CHECKOUT, data={**BUDI, "phone": "12345"})
    assert answer.status_code == 422
    assert answer.headers["Cache-Control"] == "no-store"


def test_store_page_may_be_cached(client, burger):
    answer = client.get("/store/burgerchina")
    assert "no-store" not in answer.headers.get("Cache-Control", "")
