"""Admin login (seed 004): passwords, throttling, idle expiry, disabling, create-admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shop import clock
from shop.extensions import db
from shop.models import AdminRole, AdminUser, LoginAttempt
from shop.services.admin_users import set_admin_active

from .conftest import PASSWORD, sign_in


@pytest.fixture
def moved_clock(monkeypatch):
    """A clock the test moves: start at a fixed time, then `moved_clock.advance(td)`."""

    class Clock:
        at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

        def advance(self, delta: timedelta) -> None:
            self.at += delta

    fake = Clock()
    monkeypatch.setattr(clock, "now", lambda: fake.at)
    return fake


def test_back_office_sends_anonymous_people_to_the_login_page(client):
    answer = client.get("/admin/")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/admin/login?next=/admin/")


def test_login_page_is_a_csrf_protected_form(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/admin/login")
        assert 'name="csrf_token"' in page.get_data(as_text=True)
        answer = client.post("/admin/login", data={"email": "a@b.test", "password": "x" * 10})
        assert answer.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_right_password_signs_in_and_opens_the_dashboard(client, make_admin):
    user = make_admin("super_admin")
    answer = sign_in(client, user)
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert '<meta name="csrf-token" content="' in page.get_data(as_text=True)


def test_wrong_password_is_refused_with_one_message_for_both_cases(client, make_admin):
    user = make_admin("super_admin")
    wrong = sign_in(client, user, password="salah-sekali")
    unknown = client.post("/admin/login", data={"email": "nobody@toko.test",
                                                "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert "Email atau kata sandi salah." in wrong.get_data(as_text=True)
    assert "Email atau kata sandi salah." in unknown.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_login_starts_a_new_session(client, make_admin):
    user = make_admin("super_admin")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{user.id}:{user.session_key}"


def test_next_only_leads_inside_the_back_office(client, make_admin):
    user = make_admin("super_admin")
    answer = sign_in(client, user, next="https://evil.example/admin")
    assert answer.headers["Location"] == "/admin/"


def test_five_failures_lock_the_account_for_15_minutes_even_with_the_right_password(
        client, make_admin, moved_clock):
    user = make_admin("super_admin")
    for _ in range(5):
        assert sign_in(client, user, password="salah-sekali").status_code == 401

    locked = sign_in(client, user)
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan" in locked.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302

    moved_clock.advance(timedelta(minutes=15, seconds=1))
    assert sign_in(client, user).status_code == 302


def test_five_failures_from_one_address_lock_that_address_for_every_account(
        app, make_admin, moved_clock):
    victims = [make_admin("super_admin") for _ in range(5)]
    attacker = app.test_client()
    for user in victims:
        sign_in(attacker, user, password="salah-sekali")
    other = make_admin("super_admin")
    assert sign_in(attacker, other).status_code == 429
    # The same account from another address is not affected.
    elsewhere = app.test_client().post(
        "/admin/login", data={"email": other.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert elsewhere.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 7


def test_session_ends_after_two_idle_hours(client, make_admin, moved_clock):
    user = make_admin("super_admin")
    sign_in(client, user)
    moved_clock.advance(timedelta(hours=1, minutes=59))
    assert client.get("/admin/").status_code == 200  # activity moves the limit on
    moved_clock.advance(timedelta(hours=1, minutes=59))
    assert client.get("/admin/").status_code == 200
    moved_clock.advance(timedelta(hours=2, minutes=1))
    answer = client.get("/admin/")
    assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"]


def test_remember_me_keeps_an_idle_admin_signed_in(client, make_admin, moved_clock):
    user = make_admin("super_admin")
    sign_in(client, user, remember="y")
    moved_clock.advance(timedelta(hours=20))
    assert client.get("/admin/").status_code == 200
    assert any(c.key == "remember_token" for c in client._cookies.values())


def test_disabling_an_admin_ends_its_sessions_at_once(client, make_admin):
    user = make_admin("super_admin")
    sign_in(client, user, remember="y")
    assert client.get("/admin/").status_code == 200

    set_admin_active(db.session.get(AdminUser, user.id), False)
    db.session.commit()

    assert client.get("/admin/").status_code == 302
    assert sign_in(client, user).status_code == 401


def test_logout_needs_a_post_and_ends_the_session(client, make_admin):
    user = make_admin("super_admin")
    sign_in(client, user)
    assert client.get("/admin/logout").status_code == 405
    assert client.post("/admin/logout").status_code == 302
    assert client.get("/admin/").status_code == 302


def test_create_admin_command_creates_and_updates(runner, make):
    store = make.store("toko-cli")
    created = runner.invoke(args=["create-admin", "Kasir@Toko.test", "--password",
                                  "sandi-yang-panjang", "--role", "admin", "--store", "toko-cli"])
    assert created.exit_code == 0, created.output
    user = db.session.scalar(select(AdminUser).where(AdminUser.email == "kasir@toko.test"))
    assert user.role == AdminRole.ADMIN and [s.id for s in user.stores] == [store.id]

    updated = runner.invoke(args=["create-admin", "kasir@toko.test", "--password",
                                  "sandi-baru-lagi", "--role", "super_admin"])
    assert updated.exit_code == 0, updated.output
    db.session.refresh(user)
    assert user.role == AdminRole.SUPER_ADMIN and user.stores == []


@pytest.mark.parametrize("args, message", [
    (["--password", "pendek", "--role", "super_admin"], "8 sampai 128"),
    (["--password", "x" * 129, "--role", "super_admin"], "8 sampai 128"),
    (["--password", "cukup-panjang", "--role", "admin"], "--store"),
    (["--password", "cukup-panjang", "--role", "admin", "--store", "tidak-ada"],
     "Toko tidak ditemukan"),
])
def test_create_admin_refuses_bad_input_and_writes_nothing(runner, make, args, message):
    answer = runner.invoke(args=["create-admin", "baru@toko.test", *args])
    assert answer.exit_code != 0 and message in answer.output
    assert db.session.scalar(select(func.count()).select_from(AdminUser)) == 0


def test_create_admin_asks_for_the_password_when_not_given(runner, make):
    answer = runner.invoke(args=["create-admin", "tanya@toko.test", "--role", "super_admin"],
                           input="sandi-rahasia-1\nsandi-rahasia-1\n")
    assert answer.exit_code == 0, answer.output
    assert db.session.scalar(select(AdminUser.email)) == "tanya@toko.test"


def test_an_idle_admins_json_call_ends_the_session_too(client, make_admin, moved_clock):
    user = make_admin("super_admin")
    sign_in(client, user)
    assert client.get("/api/admin/orders").status_code == 200
    moved_clock.advance(timedelta(hours=2, minutes=1))
    # The back office's JSON API ends an idle session as its pages do
    assert client.get("/api/admin/orders").status_code == 401
    assert client.get("/admin/").status_code == 302


def test_the_back_office_names_who_is_signed_in_and_a_shop_page_does_not(
        client, make_admin, burger):
    user = make_admin("super_admin", name="Sari Admin")
    sign_in(client, user)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Sari Admin · super_admin" in page
    # The storefront, in the same browser, shows no admin
    assert "Sari Admin" not in client.get("/store/burgerchina").get_data(as_text=True)
