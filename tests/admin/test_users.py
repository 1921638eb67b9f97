"""Admin accounts (super admins only): create, edit role and stores, reset the password,
enable and disable (which ends the account's sessions); hashes never shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import AdminRole, AdminUser

from .backoffice import csrf_enabled, follow, text, to_login
from .conftest import PASSWORD, sign_in

LIST = "/admin/admin_users/"


def account(email: str) -> AdminUser | None:
    db.session.expire_all()
    return db.session.scalar(select(AdminUser).where(AdminUser.email == email))


def new_account(**values) -> dict:
    return {"email": "Kasir@Toko.test", "name": "Kasir Satu", "role": "admin",
            "password": "kata-sandi-baru", **values}


@pytest.mark.parametrize("method, url", [
    ("get", LIST), ("get", f"{LIST}new/"), ("get", f"{LIST}edit/?id={{id}}"),
    ("get", f"{LIST}details/?id={{id}}"), ("get", f"{LIST}password/?id={{id}}"),
    ("post", f"{LIST}new/"), ("post", f"{LIST}edit/?id={{id}}"),
    ("post", f"{LIST}password/?id={{id}}"), ("post", f"{LIST}active/"),
])
@pytest.mark.parametrize("role", ["anonymous", "admin", "super_admin"])
def test_only_super_admins_manage_accounts(app, login_as, make_admin, two_stores, role,
                                           method, url):
    target = make_admin("admin", [two_stores[0]], email="target@toko.test")
    visitor = app.test_client() if role == "anonymous" else login_as(role, [two_stores[0]])
    data = {"id": target.id, "active": "0", "password": "diambil-alih-123",
            **new_account(email="susup@toko.test")}

    answer = getattr(visitor, method)(url.format(id=target.id), data=data)

    if role == "anonymous":
        assert to_login(answer)
    elif role == "admin":
        assert answer.status_code == 403
    else:
        assert answer.status_code in (200, 302)
    if role != "super_admin":
        assert account("susup@toko.test") is None
        assert account("target@toko.test").is_active is True
        assert sign_in(app.test_client(), target).status_code == 302  # password unchanged


def test_a_super_admin_creates_an_admin_of_some_stores(login_as, two_stores):
    a, b = two_stores
    boss = login_as("super_admin")

    page = follow(boss, boss.post(f"{LIST}new/", data=new_account(stores=[str(b.id)])))

    created = account("kasir@toko.test")
    assert (created.name, created.role, created.stores) == ("Kasir Satu", AdminRole.ADMIN, [b])
    assert "kasir@toko.test" in page and "Toko B" in page


@pytest.mark.parametrize("values, message", [
    ({"password": "pendek"}, "8-128 karakter."),
    ({"password": "x" * 129}, "8-128 karakter."),
    ({"email": "bukan-email"}, "Email tidak valid."),
    ({"role": "raja"}, "super_admin atau admin."),
    ({"stores": []}, "Pilih minimal satu toko."),
])
def test_invalid_accounts_are_form_errors(login_as, two_stores, values, message):
    boss = login_as("super_admin")
    data = {**new_account(stores=[str(two_stores[0].id)]), **values}

    answer = boss.post(f"{LIST}new/", data=data)

    assert answer.status_code == 200 and message in text(answer)
    assert account("kasir@toko.test") is None


def test_an_existing_email_is_not_overwritten_by_a_new_account(login_as, make_admin,
                                                                two_stores):
    first = make_admin("admin", [two_stores[0]], email="kasir@toko.test", name="Asli")
    boss = login_as("super_admin")

    answer = boss.post(f"{LIST}new/", data=new_account(stores=[str(two_stores[1].id)]))

    assert "Sudah dipakai akun lain." in text(answer)
    kept = account("kasir@toko.test")
    assert (kept.name, kept.stores) == ("Asli", [two_stores[0]])
    assert sign_in(boss.application.test_client(), first).status_code == 302


def test_editing_changes_role_and_stores(login_as, make_admin, two_stores):
    a, b = two_stores
    user = make_admin("admin", [a], email="kasir@toko.test")
    boss = login_as("super_admin")

    boss.post(f"{LIST}edit/?id={user.id}", data={"name": "Kasir Dua", "role": "admin",
                                                 "stores": [str(a.id), str(b.id)]})
    assert account("kasir@toko.test").stores == [a, b]
    boss.post(f"{LIST}edit/?id={user.id}", data={"name": "Kasir Dua", "role": "super_admin"})

    promoted = account("kasir@toko.test")
    assert (promoted.name, promoted.role, promoted.stores) == (
        "Kasir Dua", AdminRole.SUPER_ADMIN, [])


def test_a_super_admin_neither_demotes_nor_disables_itself(login_as, two_stores):
    boss = login_as("super_admin")
    me = boss.admin

    demoted = text(boss.post(f"{LIST}edit/?id={me.id}", data={
        "name": me.name, "role": "admin", "stores": [str(two_stores[0].id)]}))
    disabled = follow(boss, boss.post(f"{LIST}active/", data={"id": me.id, "active": "0"}))

    assert "Anda tidak bisa" in demoted and "Anda tidak bisa" in disabled
    still = account(me.email)
    assert (still.role, still.is_active) == (AdminRole.SUPER_ADMIN, True)


def test_disabling_an_account_signs_it_out_at_once(app, login_as, two_stores):
    victim = login_as("admin", [two_stores[0]])
    boss = login_as("super_admin")
    assert victim.get("/admin/products/").status_code == 200

    boss.post(f"{LIST}active/", data={"id": victim.admin.id, "active": "0"})

    assert to_login(victim.get("/admin/products/"))
    assert sign_in(app.test_client(), victim.admin).status_code != 302
    boss.post(f"{LIST}active/", data={"id": victim.admin.id, "active": "1"})
    assert sign_in(app.test_client(), victim.admin).status_code == 302


def test_a_password_reset_ends_the_sessions_and_the_new_password_works(app, login_as,
                                                                         two_stores):
    victim = login_as("admin", [two_stores[0]])
    boss = login_as("super_admin")

    short = boss.post(f"{LIST}password/?id={victim.admin.id}", data={"password": "pendek"})
    done = boss.post(f"{LIST}password/?id={victim.admin.id}", data={"password": "baru-12345"})

    assert "8-128 karakter." in text(short)
    assert done.status_code == 302
    assert to_login(victim.get("/admin/products/"))
    assert sign_in(app.test_client(), victim.admin).status_code != 302
    assert sign_in(app.test_client(), victim.admin, password="baru-12345").status_code == 302


def test_no_page_shows_a_password_hash(login_as, make_admin, two_stores):
    user = make_admin("admin", [two_stores[0]], email="kasir@toko.test")
    boss = login_as("super_admin")

    for url in (LIST, f"{LIST}details/?id={user.id}", f"{LIST}edit/?id={user.id}",
                f"{LIST}password/?id={user.id}", f"{LIST}new/"):
        page = text(boss.get(url))
        assert user.password_hash not in page and "scrypt:" not in page, url
        assert user.session_key not in page, url
        assert PASSWORD not in page, url


def test_script_in_an_account_name_is_shown_escaped(login_as, make_admin, two_stores):
    user = make_admin("admin", [two_stores[0]], email="x@toko.test",
                      name="<script>alert('n')</script>")
    boss = login_as("super_admin")

    for url in (LIST, f"{LIST}details/?id={user.id}", f"{LIST}password/?id={user.id}"):
        page = text(boss.get(url))
        assert "<script>alert" not in page and "&lt;script&gt;alert" in page, url


def test_posts_without_a_csrf_token_are_refused(app, login_as, make_admin, two_stores):
    user = make_admin("admin", [two_stores[0]], email="kasir@toko.test")
    boss = login_as("super_admin")

    with csrf_enabled(app):
        answers = [
            boss.post(f"{LIST}new/", data=new_account(email="baru@toko.test",
                                                      stores=[str(two_stores[0].id)])),
            boss.post(f"{LIST}edit/?id={user.id}", data={"name": "X", "role": "super_admin"}),
            boss.post(f"{LIST}password/?id={user.id}", data={"password": "baru-12345"}),
            boss.post(f"{LIST}active/", data={"id": user.id, "active": "0"}),
        ]

    assert [answer.status_code for answer in answers] == [400] * 4
    kept = account("kasir@toko.test")
    assert (kept.role, kept.is_active, kept.name) == (AdminRole.ADMIN, True, user.name)
    assert account("baru@toko.test") is None
