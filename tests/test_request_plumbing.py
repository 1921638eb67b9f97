"""What every request goes through, made cheaper without changing what it does: the session
cookie (Flask's format and checks, its signer kept), the hooks' sync check made once, the
CSRF check only on form posts, the remember-me cookie only when asked for."""

from __future__ import annotations

import pytest
from flask.sessions import SecureCookieSessionInterface
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import Serializer, URLSafeTimedSerializer
from wtforms import ValidationError

from shop import ShopFlask
from shop.sessions import CookieSessions, KeyedSigner, SignedSerializer

STORE = "/store/burgerchina"


def session_cookie(client, app) -> str:
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def put_in_cart(client, code: str = "BRG-CHEESE", qty: int = 2) -> None:
    answer = client.post(f"{STORE}/cart", data={"code": code, "qty": qty},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.get_json()


def test_the_cookie_is_flasks_own_format_both_ways(app, client, burger):
    # Given a cart kept in the session by our interface
    put_in_cart(client)
    cookie = session_cookie(client, app)
    # Then Flask's stock interface reads it with the same key and salt
    stock = SecureCookieSessionInterface().get_signing_serializer(app)
    assert stock.loads(cookie)["carts"] == {"burgerchina": {"BRG-CHEESE": 2}}
    # And a cookie signed by Flask's stock interface is read by ours
    signed = stock.dumps({"carts": {"burgerchina": {"BRG-CHEESE": 5}}})
    assert CookieSessions().get_signing_serializer(app).loads(signed)["carts"] == {
        "burgerchina": {"BRG-CHEESE": 5}}
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], signed)
    assert client.get(f"{STORE}/checkout").get_data(as_text=True).count('class="cart-line"') == 1


def test_a_tampered_cookie_is_an_empty_session(app, client, burger):
    # Given a cart in the cookie, whose signature someone changed
    put_in_cart(client)
    cookie = session_cookie(client, app)
    value, _, signature = cookie.rpartition(".")
    forged = f"{value}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], forged)
    # When the shopper opens the checkout
    page = client.get(f"{STORE}/checkout").get_data(as_text=True)
    # Then the cart is empty: the cookie was refused, not half-read
    assert 'class="cart-line"' not in page


def test_a_rotated_secret_still_reads_cookies_signed_with_the_old_one(app, client, burger):
    put_in_cart(client)
    cookie = session_cookie(client, app)
    old = app.secret_key
    try:
        # When the key is rotated with the old one kept as a fallback
        app.secret_key = "another-secret-key-long-enough"
        app.config["SECRET_KEY_FALLBACKS"] = [old]
        # Then the old cookie is still the shopper's cart
        assert app.session_interface.get_signing_serializer(app).loads(cookie)["carts"]
        # And without the fallback it is refused
        app.config["SECRET_KEY_FALLBACKS"] = []
        with pytest.raises(Exception, match="Signature"):
            app.session_interface.get_signing_serializer(app).loads(cookie)
    finally:
        app.secret_key = old
        app.config["SECRET_KEY_FALLBACKS"] = []
    assert app.session_interface.get_signing_serializer(app).loads(cookie)["carts"]


def test_hooks_sync_check_is_made_once_and_unhashable_callables_still_pass():
    app = ShopFlask(__name__)

    def view():
        return "ok"

    class Unhashable:
        __hash__ = None

        def __call__(self):
            return "ok"

    assert app.ensure_sync(view) is view
    assert app._checked[view] is view
    odd = Unhashable()
    assert app.ensure_sync(odd) is odd


def test_a_form_post_without_its_token_is_refused_and_a_get_is_not_checked(app, client, burger):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        # A plain GET needs no token
        assert client.get(STORE).status_code == 200
        # A form post without the page's token changes nothing
        answer = client.post(f"{STORE}/cart", data={"code": "BRG-CHEESE", "qty": 1})
        assert answer.status_code in (303, 400)
        page = client.get(f"{STORE}/checkout").get_data(as_text=True)
        assert 'class="cart-line"' not in page
        # The JSON API (exempt: no browser sends its body by itself) still takes a checkout
        placed = client.post("/api/orders/create-from-checkout", json={
            "store": "burgerchina", "name": "Budi", "phone": "081234567890",
            "address": "Jl. Sudirman No. 1", "payment_method": "bank_transfer",
            "items": [{"code": "BRG-CHEESE", "qty": 1}]})
        assert placed.status_code == 201, placed.get_json()
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_pages_csrf_token_is_reused_per_session_and_never_across_sessions(
        app, burger, monkeypatch):
    import re
    import time

    from itsdangerous import TimestampSigner

    def token(page: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    # Each signature made a second after the one before: a new signature is a new token
    seconds = iter(range(int(time.time()), int(time.time()) + 1000))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(seconds))

    app.config["WTF_CSRF_ENABLED"] = True
    try:
        first, second = app.test_client(), app.test_client()
        # Within a minute one browser's pages carry the same signed token
        a1, a2 = (token(first.get(STORE).get_data(as_text=True)) for _ in range(2))
        b1 = token(second.get(STORE).get_data(as_text=True))
        assert a1 == a2
        # Another browser never gets it
        assert b1 != a1
        # And the reused token is accepted by Flask-WTF's check
        answer = first.post(f"{STORE}/cart", data={"csrf_token": a2, "code": "BRG-CHEESE",
                                                    "qty": 1},
                            headers={"Accept": "application/json"})
        assert answer.status_code == 200, answer.get_json()
        refused = second.post(f"{STORE}/cart", data={"csrf_token": a2,
                                                      "code": "BRG-CHEESE", "qty": 1},
                              headers={"Accept": "application/json"})
        assert refused.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_first_visitors_token_is_checked_by_flask_wtf_itself(app, burger):
    from flask_wtf.csrf import validate_csrf

    # Given a browser without a session, on a page with forms
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        browser = app.test_client()
        page = browser.get(STORE).get_data(as_text=True)
        signed = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        raw = CookieSessions().get_signing_serializer(app).loads(
            session_cookie(browser, app))["csrf_token"]
        # Then Flask-WTF's own check takes the token against the session it was made for
        with app.test_request_context():
            from flask import session

            session["csrf_token"] = raw
            validate_csrf(signed)
            session["csrf_token"] = "another session's raw token"
            with pytest.raises(ValidationError):
                validate_csrf(signed)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@settings(max_examples=200, deadline=None)
@given(payload=st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12))
def test_signed_payloads_are_read_by_itsdangerous_and_compressed_as_it_would(payload):
    ours = SignedSerializer("secret", salt="salt", signer=KeyedSigner)
    stock = URLSafeTimedSerializer("secret", salt="salt")
    signed = ours.dumps(payload)
    # Read back by itsdangerous' own serializer, short or long
    assert stock.loads(signed) == payload
    # And compressed exactly where itsdangerous compresses a payload of that size
    body, stock_body = signed.rsplit(".", 2)[0], stock.dumps(payload).rsplit(".", 2)[0]
    json_size = len(Serializer.dump_payload(stock, payload))
    if json_size >= SignedSerializer.SHORT or not stock_body.startswith("."):
        assert body == stock_body
    else:  # short, and a few bytes shorter compressed: left as it is
        assert not body.startswith(".")


@pytest.mark.parametrize(("accept", "json"), [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),  # a browser
    ("*/*", False),
    ("", False),
    ("application/json", True),
    ("application/json, text/html;q=0.5", True),
    ("text/html, application/json;q=0.5", False),
    ("application/*;q=1, text/html;q=0.5", True),  # no "json" in it, still JSON first
])
def test_whether_a_client_wants_json_is_read_from_its_accept_header(app, accept, json):
    from shop.errors import wants_json

    with app.test_request_context("/store/burgerchina/cart", headers={"Accept": accept}):
        assert wants_json() is json
