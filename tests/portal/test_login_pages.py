"""Signing in on the portal's pages (seed 004 section 2B): number or shop code, the code
from WhatsApp, wrong codes and limits said clearly, the session cookie, logout."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from shop import clock
from shop.extensions import db
from shop.models import ShopSession
from shop.services import dealer_cart
from shop.services.otp import token_hash
from shop.unit_of_work import commit

from .conftest import COOKIE, fill_cart, last_code, otp_rows


def cookie_header(answer) -> str:
    (header,) = [h for h in answer.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]
    return header


def ask_code(client, login="0812-3456-789"):
    return client.post("/portal/login", data={"login": login})


def test_a_dealer_signs_in_with_the_code_from_whatsapp_and_lands_on_the_parts(
        client, shop, hold_messages):
    asked = ask_code(client)
    assert asked.status_code == 303 and asked.headers["Location"].endswith("/portal/login/code")
    page = client.get("/portal/login/code").get_data(as_text=True)
    assert "0812***6789" in page and 'autocomplete="one-time-code"' in page

    entered = client.post("/portal/login/code", data={"code": last_code(shop.phone)})

    assert entered.status_code == 303 and entered.headers["Location"].endswith("/portal/")
    token = cookie_header(entered).split(";")[0].split("=", 1)[1]
    session = db.session.scalar(select(ShopSession).where(
        ShopSession.token_hash == token_hash(token)))
    assert session is not None and session.shop_id == shop.id
    home = client.get("/portal/")
    assert home.status_code == 200 and "Oli AHM MPX2 0.8L" in home.get_data(as_text=True)


def test_the_shop_code_works_as_the_login_too(client, shop, hold_messages):
    assert ask_code(client, "tk001").status_code == 303
    entered = client.post("/portal/login/code", data={"code": last_code(shop.phone)})
    assert entered.status_code == 303 and cookie_header(entered)


def test_the_session_cookie_is_httponly_and_lax_and_not_secure_in_development(
        client, shop, hold_messages):
    ask_code(client)
    header = cookie_header(client.post("/portal/login/code",
                                       data={"code": last_code(shop.phone)}))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/portal" in header
    assert "Secure" not in header and "Expires=" in header


def test_the_session_cookie_is_secure_when_session_cookies_are(app, client, shop,
                                                              hold_messages):
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        ask_code(client)
        header = cookie_header(client.post("/portal/login/code",
                                           data={"code": last_code(shop.phone)}))
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header


def test_a_wrong_code_is_said_clearly_and_opens_no_session(client, shop, hold_messages):
    ask_code(client)
    right = last_code(shop.phone)
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    answer = client.post("/portal/login/code", data={"code": wrong})

    assert answer.status_code == 401
    assert "Kode salah atau sudah tidak berlaku" in answer.get_data(as_text=True)
    assert not [h for h in answer.headers.getlist("Set-Cookie") if h.startswith(COOKIE)]
    assert db.session.scalar(select(ShopSession.id)) is None


def test_a_code_that_is_not_six_digits_is_a_field_error(client, shop, hold_messages):
    ask_code(client)
    answer = client.post("/portal/login/code", data={"code": "12ab"})
    assert answer.status_code == 422
    assert "Kode terdiri dari 6 angka." in answer.get_data(as_text=True)


def test_asking_again_within_a_minute_says_how_long_to_wait(client, shop, hold_messages):
    ask_code(client)
    again = client.post("/portal/login/resend")

    assert again.status_code == 429 and again.headers["Retry-After"] == "60"
    page = again.get_data(as_text=True)
    assert "Coba lagi dalam 60 detik" in page
    assert len(otp_rows(shop.phone)) == 1


def test_the_wait_is_said_in_english_too(client, shop, hold_messages):
    client.get("/portal/login?lang=en")
    ask_code(client)
    again = client.post("/portal/login/resend")
    assert again.status_code == 429
    assert "Try again in 60 seconds" in again.get_data(as_text=True)


def test_five_wrong_codes_block_the_number_with_the_wait_in_minutes(
        client, shop, hold_messages):
    ask_code(client)
    wrong = f"{(int(last_code(shop.phone)) + 1) % 10**6:06d}"
    answers = [client.post("/portal/login/code", data={"code": wrong}).status_code
               for _ in range(5)]
    assert answers == [401, 401, 401, 401, 429]

    blocked = client.post("/portal/login/code", data={"code": last_code(shop.phone)})

    assert blocked.status_code == 429
    assert "Coba lagi dalam 15 menit" in blocked.get_data(as_text=True)


def test_resend_after_a_minute_sends_a_new_code_and_the_old_one_stops_working(
        client, shop, hold_messages, monkeypatch):
    ask_code(client)
    first = last_code(shop.phone)
    later = clock.now() + timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: later)

    resent = client.post("/portal/login/resend")

    assert resent.status_code == 303 and len(otp_rows(shop.phone)) == 2
    second = last_code(shop.phone)
    if first != second:
        assert client.post("/portal/login/code", data={"code": first}).status_code == 401
    assert client.post("/portal/login/code", data={"code": second}).status_code == 303


def test_an_unknown_number_gets_the_same_answer_and_no_message(client, shop, hold_messages):
    answer = ask_code(client, "0812-9999-0000")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/login/code")
    assert otp_rows("6281299990000") == []


def test_an_unreadable_number_is_a_field_error(client, shop):
    answer = ask_code(client, "12")
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.get_data(as_text=True)


def test_the_code_page_without_a_pending_login_goes_back_to_the_login(client):
    answer = client.get("/portal/login/code")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/portal/login")


def test_pages_without_a_session_go_to_the_login_and_come_back_after_it(
        client, shop, hold_messages):
    away = client.get("/portal/cart")
    assert away.status_code == 303 and away.headers["Location"].endswith("/portal/login")

    ask_code(client)
    entered = client.post("/portal/login/code", data={"code": last_code(shop.phone)})

    assert entered.headers["Location"].endswith("/portal/cart")


def test_a_revoked_or_expired_session_cookie_goes_to_the_login(dealer, token, monkeypatch):
    assert dealer.get("/portal/").status_code == 200
    later = clock.now() + timedelta(days=8)
    monkeypatch.setattr(clock, "now", lambda: later)

    answer = dealer.get("/portal/")

    assert answer.status_code == 303 and answer.headers["Location"].endswith("/portal/login")
    assert any(h.startswith(COOKIE + "=;") for h in answer.headers.getlist("Set-Cookie"))


def test_a_disabled_shops_cookie_goes_to_the_login(dealer, shop):
    shop.is_active = False
    commit()
    answer = dealer.get("/portal/cart")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/portal/login")


def test_logout_revokes_the_token_everywhere(dealer, token, api):
    assert api("GET", "/api/auth/me").status_code == 200

    out = dealer.post("/portal/logout")

    assert out.status_code == 303 and out.headers["Location"].endswith("/portal/login")
    assert any(h.startswith(COOKIE + "=;") for h in out.headers.getlist("Set-Cookie"))
    assert api("GET", "/api/auth/me").status_code == 401
    dealer.set_cookie(COOKIE, token, path="/portal")
    assert dealer.get("/portal/").status_code == 303


def test_pages_are_never_stored_and_renew_the_cookie_of_a_session_in_use(dealer):
    page = dealer.get("/portal/")
    assert page.headers["Cache-Control"] == "no-store"
    assert "HttpOnly" in cookie_header(page)


def test_every_portal_form_carries_its_csrf_token_and_is_refused_without(app, dealer, shop):
    fill_cart(shop, ("OLI-MPX2", 1))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        cart = dealer.get("/portal/cart").get_data(as_text=True)
        refused = dealer.post("/portal/cart/clear")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert cart.count('name="csrf_token"') >= 4  # quantity, remove, clear, logout
    assert refused.status_code == 400
    assert dealer_cart.view_cart(shop).qty == 1
