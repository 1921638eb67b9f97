"""Store settings in the back office: super admins only; slug, numbers, logo, payment
accounts, couriers, time zone and alert numbers validated on their fields."""

from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import Store
from tests.images import image_bytes

from .backoffice import csrf_enabled, follow, text, to_login

LIST = "/admin/stores/"


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


def settings(**values) -> dict:
    data = {
        "slug": "kopi-senja", "name": "Kopi Senja", "whatsapp": "0812 2222 3333",
        "address": "Jl. Braga 5, Bandung", "timezone": "Asia/Jakarta", "is_active": "y",
        "bank_accounts-present": "1", "bank_accounts-bank": ["BCA", "Mandiri", ""],
        "bank_accounts-number": ["880-011-2233", "1230004567890", ""],
        "bank_accounts-holder": ["Kopi Senja", "PT Senja", ""],
        "e_wallets-present": "1", "e_wallets-provider": ["GoPay", ""],
        "e_wallets-number": ["0812 2222 3333", ""], "e_wallets-holder": ["Kopi Senja", ""],
        "couriers": "JNE Regular\nGoSend\n\nJNE Regular",
        "admin_whatsapp": "+62 813 1111 2222\n0813-4444-5555",
    }
    data.update(values)
    return data


def store(slug: str) -> Store | None:
    db.session.expire_all()
    return db.session.scalar(select(Store).where(Store.slug == slug))


@pytest.mark.parametrize("method, url", [
    ("get", LIST), ("get", f"{LIST}new/"), ("get", f"{LIST}edit/?id=1"),
    ("get", f"{LIST}details/?id=1"), ("post", f"{LIST}new/"), ("post", f"{LIST}edit/?id=1"),
])
def test_anonymous_to_login_admins_refused_super_admins_allowed(client, login_as, two_stores,
                                                                 method, url):
    a, _ = two_stores
    url = url.replace("id=1", f"id={a.id}")
    admin = login_as("admin", [a])
    boss = login_as("super_admin")

    assert to_login(getattr(client, method)(url))
    assert getattr(admin, method)(url, data=settings()).status_code == 403
    if method == "get":
        assert boss.get(url).status_code == 200
    assert store("kopi-senja") is None and store("toko-a").name == "Toko A"


def test_the_store_menu_is_hidden_from_admins(login_as, two_stores):
    page = text(login_as("admin", [two_stores[0]]).get("/admin/products/"))

    assert 'href="/admin/stores/"' not in page and 'href="/admin/admin_users/"' not in page


def test_a_super_admin_creates_a_store_with_every_setting(login_as):
    boss = login_as("super_admin")

    page = follow(boss, boss.post(f"{LIST}new/", data=settings()))

    created = store("kopi-senja")
    assert (created.name, created.whatsapp, created.timezone) == (
        "Kopi Senja", "6281222223333", "Asia/Jakarta")
    assert created.bank_accounts == [
        {"bank": "BCA", "number": "8800112233", "holder": "Kopi Senja"},
        {"bank": "Mandiri", "number": "1230004567890", "holder": "PT Senja"}]
    assert created.e_wallets == [{"provider": "GoPay", "number": "081222223333",
                                  "holder": "Kopi Senja"}]
    assert created.couriers == ["JNE Regular", "GoSend"]
    assert created.admin_whatsapp == ["6281311112222", "6281344445555"]
    assert "8800112233" in page and "0813-4444-5555" not in page


@pytest.mark.parametrize("values, message", [
    ({"slug": "Kopi Senja!"}, "Huruf kecil, angka dan &#39;-&#39;, 2-64 karakter."),
    ({"slug": "toko-a"}, "Sudah dipakai toko lain."),
    ({"whatsapp": "12345"}, "Nomor WhatsApp tidak valid."),
    ({"timezone": "Mars/Olympus"}, "Nama zona IANA, mis. Asia/Jakarta."),
    ({"timezone": "../../etc/passwd"}, "Nama zona IANA, mis. Asia/Jakarta."),
    ({"bank_accounts-holder": ["", "PT Senja", ""]}, "Rekening bank baris 1: Atas nama wajib"),
    ({"bank_accounts-number": ["rekening", "123456", ""]}, "nomor hanya angka"),
    ({"admin_whatsapp": "0813 1111 2222\nbukan nomor"}, "Nomor WhatsApp admin tidak valid"),
    ({"name": "Kopi\x00Senja"}, "Berisi karakter yang tidak diizinkan."),
])
def test_invalid_settings_are_shown_on_their_field_and_nothing_is_saved(
        login_as, two_stores, values, message):
    boss = login_as("super_admin")

    answer = boss.post(f"{LIST}new/", data=settings(**values))

    assert answer.status_code == 200
    assert message in text(answer)
    assert store("kopi-senja") is None


def test_editing_replaces_the_lists(login_as, two_stores):
    a, _ = two_stores
    boss = login_as("super_admin")

    boss.post(f"{LIST}edit/?id={a.id}", data=settings(
        slug="toko-a", name="Toko A", couriers="", admin_whatsapp="",
        **{"bank_accounts-bank": [""], "bank_accounts-number": [""],
           "bank_accounts-holder": [""]}))

    edited = store("toko-a")
    assert (edited.bank_accounts, edited.couriers, edited.admin_whatsapp) == ([], [], [])
    assert edited.e_wallets[0]["provider"] == "GoPay"


def test_the_edit_form_shows_numbers_as_people_write_them(login_as, make):
    shop = make.store("warung", whatsapp="6281222223333", admin_whatsapp=["6281311112222"])
    page = text(login_as("super_admin").get(f"{LIST}edit/?id={shop.id}"))

    assert 'value="081222223333"' in page and "081311112222" in page


def test_a_logo_is_uploaded_replaced_and_removed_with_its_files(login_as, two_stores, uploads):
    a, _ = two_stores
    boss = login_as("super_admin")

    def save(**values):
        return boss.post(f"{LIST}edit/?id={a.id}", content_type="multipart/form-data",
                         data=settings(slug="toko-a", name="Toko A", **values))

    save(logo_file=(io.BytesIO(image_bytes("PNG", (1000, 1000))), "logo.png"))
    first = store("toko-a").logo
    save(logo_file=(io.BytesIO(image_bytes("WEBP", (300, 300))), "logo.webp"))
    second = store("toko-a").logo
    assert first.endswith(".png") and second.endswith(".webp")
    assert os.listdir(uploads) == [second]
    assert f"/uploads/{second}" in text(boss.get(f"{LIST}?search=toko-a"))

    refused = save(logo_file=(io.BytesIO(b"GIF89a not really"), "logo.png"))
    assert "File harus foto JPEG, PNG atau WebP." in text(refused)
    assert store("toko-a").logo == second

    save(remove_logo="y")
    assert store("toko-a").logo is None and os.listdir(uploads) == []


def test_script_in_a_store_name_is_shown_escaped(login_as, make):
    evil = make.store("jahat", name="<script>alert('toko')</script>",
                      bank_accounts=[{"bank": "<b>BCA</b>", "number": "1", "holder": "x"}])
    boss = login_as("super_admin")

    for url in (LIST, f"{LIST}details/?id={evil.id}", f"{LIST}edit/?id={evil.id}"):
        page = text(boss.get(url))
        assert "<script>alert('toko')" not in page and "<b>BCA" not in page, url
        assert "&lt;script&gt;alert(&#39;toko&#39;)&lt;/script&gt;" in page, url


def test_posts_without_a_csrf_token_are_refused(app, login_as, two_stores):
    a, _ = two_stores
    boss = login_as("super_admin")

    with csrf_enabled(app):
        created = boss.post(f"{LIST}new/", data=settings())
        edited = boss.post(f"{LIST}edit/?id={a.id}", data=settings(slug="toko-a", name="X"))

    assert created.status_code == edited.status_code == 400
    assert store("kopi-senja") is None and store("toko-a").name == "Toko A"
