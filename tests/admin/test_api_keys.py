"""The bot API keys page of the back office: an admin makes a key for its store (shown once,
on the answer of the creation only), lists and revokes its stores' keys, and never reaches
another store's; a super admin reaches every store's."""

from __future__ import annotations

import re

from sqlalchemy import select

from shop.extensions import db
from shop.models import ApiKey
from shop.services.api_keys import authenticate_api_key, create_api_key, key_hash

from .backoffice import csrf_enabled, csrf_token, text, to_login

PAGE = "/admin/api-keys/"
KEY = re.compile(r"shk_[A-Za-z0-9_-]{43,}")


def test_given_an_admin_when_it_makes_a_key_then_it_is_shown_once_and_works(
        login_as, two_stores, client):
    a, _ = two_stores
    admin = login_as("admin", [a])

    answer = admin.post(PAGE + "new/", data={"store_id": str(a.id), "name": "CS Bot"})

    assert answer.status_code == 201, text(answer)[:500]
    shown = KEY.findall(text(answer))
    assert len(set(shown)) == 1
    key = shown[0]
    row = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash(key)))
    assert row.store_id == a.id and row.name == "CS Bot"
    assert row.created_by == f"admin:{admin.admin.email}"
    assert authenticate_api_key(key).store_id == a.id
    listing = text(admin.get(PAGE))
    assert KEY.search(listing) is None and row.prefix in listing and "CS Bot" in listing


def test_given_an_admin_then_it_sees_and_makes_keys_of_its_stores_only(login_as, two_stores):
    a, b = two_stores
    theirs, _ = create_api_key(b, name="Bot B", actor="t")
    mine, _ = create_api_key(a, name="Bot A", actor="t")
    db.session.commit()
    admin = login_as("admin", [a])

    page = text(admin.get(PAGE))
    assert mine.prefix in page and theirs.prefix not in page and "Toko B" not in page

    refused = admin.post(PAGE + "new/", data={"store_id": str(b.id), "name": "Sneaky"})
    assert refused.status_code == 422 and KEY.search(text(refused)) is None
    assert db.session.scalar(select(ApiKey).where(ApiKey.name == "Sneaky")) is None

    answer = admin.post(f"{PAGE}{theirs.id}/revoke/")
    assert answer.status_code == 404
    db.session.refresh(theirs)
    assert theirs.revoked_at is None


def test_given_a_bad_name_then_the_form_says_so_and_no_key_is_made(login_as, two_stores):
    a, _ = two_stores
    admin = login_as("admin", [a])
    answer = admin.post(PAGE + "new/", data={"store_id": str(a.id), "name": "   "})
    assert answer.status_code == 422 and 'id="key-error"' in text(answer)
    assert db.session.scalars(select(ApiKey)).first() is None


def test_given_a_key_when_an_admin_revokes_it_then_it_stops_working(login_as, two_stores,
                                                                     client):
    a, _ = two_stores
    row, key = create_api_key(a, name="Bot", actor="t")
    db.session.commit()
    admin = login_as("admin", [a])

    answer = admin.post(f"{PAGE}{row.id}/revoke/")

    assert answer.status_code == 302
    db.session.refresh(row)
    assert row.revoked_at is not None and row.revoked_by == f"admin:{admin.admin.email}"
    refused = client.post("/api/bot/order/track", json={"customerId": "x", "orderNumber": "y"},
                          headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 401
    assert "Dicabut" in text(admin.get(PAGE))


def test_given_a_super_admin_then_every_stores_keys_are_listed(login_as, two_stores):
    a, b = two_stores
    ka, _ = create_api_key(a, name="Bot A", actor="t")
    kb, _ = create_api_key(b, name="Bot B", actor="t")
    db.session.commit()
    page = text(login_as("super_admin").get(PAGE))
    assert ka.prefix in page and kb.prefix in page


def test_given_no_login_then_the_page_sends_to_login(client, two_stores):
    assert to_login(client.get(PAGE))
    assert to_login(client.post(PAGE + "new/", data={"store_id": "1", "name": "x"}))
    assert db.session.scalars(select(ApiKey)).first() is None


def test_given_csrf_on_then_a_post_without_its_token_is_refused(app, login_as, two_stores):
    a, _ = two_stores
    admin = login_as("admin", [a])
    with csrf_enabled(app):
        refused = admin.post(PAGE + "new/", data={"store_id": str(a.id), "name": "Bot"})
        assert refused.status_code == 400
        assert db.session.scalars(select(ApiKey)).first() is None
        token = csrf_token(admin, PAGE)
        made = admin.post(PAGE + "new/", data={"store_id": str(a.id), "name": "Bot",
                                                "csrf_token": token})
        assert made.status_code == 201
