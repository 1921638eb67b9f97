"""Per-store API keys of the bot tools API: made with a recognisable prefix and shown once,
only their SHA-256 kept, refused once revoked, last use written at most once a minute."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop import clock
from shop.errors import InvalidInput, NotFound, NotSignedIn
from shop.extensions import db
from shop.models import ApiKey
from shop.services.api_keys import (
    authenticate_api_key,
    create_api_key,
    find_by_prefix,
    revoke_api_key,
    store_keys,
)


def test_given_a_store_when_a_key_is_made_then_only_its_hash_and_prefix_are_stored(burger):
    row, key = create_api_key(burger, name="  Chatbot   CS ", actor="admin:a@toko.test")
    db.session.commit()

    assert key.startswith("shk_") and len(key) >= 4 + 43  # 32 random bytes, url-safe
    assert all(c.isalnum() or c in "-_" for c in key[4:])
    stored = db.session.scalar(select(ApiKey).where(ApiKey.id == row.id))
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert stored.prefix == key[:12] and stored.name == "Chatbot CS"
    assert stored.created_by == "admin:a@toko.test" and stored.store_id == burger.id
    columns = [getattr(stored, c.key) for c in ApiKey.__table__.columns]
    assert key not in columns and key[12:] not in " ".join(str(v) for v in columns)


def test_given_two_keys_then_they_differ(burger):
    assert create_api_key(burger, name="a", actor="t")[1] != \
        create_api_key(burger, name="b", actor="t")[1]


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 101, 5, "a\x00b"])
def test_given_a_bad_name_then_no_key_is_made(burger, name):
    with pytest.raises(InvalidInput):
        create_api_key(burger, name=name, actor="t")
    assert store_keys(burger.id) == []


def test_given_a_key_when_it_authenticates_then_its_store_is_known(burger):
    row, key = create_api_key(burger, name="Bot", actor="t")
    db.session.commit()

    found = authenticate_api_key(key)
    assert found.id == row.id and found.store.slug == "burgerchina"
    assert found.last_used_at is not None


@pytest.mark.parametrize("raw", [None, "", "shk_", "shk_wrong", "Bearer x", 42,
                                 "shk_" + "a" * 300, "shk_ä"])
def test_given_a_missing_or_unknown_key_then_not_signed_in(burger, raw):
    create_api_key(burger, name="Bot", actor="t")
    with pytest.raises(NotSignedIn):
        authenticate_api_key(raw)


def test_given_a_key_with_a_letter_changed_then_not_signed_in(burger):
    _, key = create_api_key(burger, name="Bot", actor="t")
    changed = key[:-1] + ("A" if key[-1] != "A" else "B")
    with pytest.raises(NotSignedIn):
        authenticate_api_key(changed)


def test_given_a_revoked_key_then_not_signed_in(burger):
    row, key = create_api_key(burger, name="Bot", actor="t")
    assert revoke_api_key(row, actor="admin:x@toko.test") is True
    assert revoke_api_key(row, actor="admin:x@toko.test") is False
    db.session.commit()

    assert row.revoked_by == "admin:x@toko.test" and row.revoked_at is not None
    with pytest.raises(NotSignedIn):
        authenticate_api_key(key)


def test_given_a_closed_store_then_its_keys_are_refused(make, burger):
    _, key = create_api_key(burger, name="Bot", actor="t")
    burger.is_active = False
    db.session.commit()
    with pytest.raises(NotSignedIn):
        authenticate_api_key(key)


def test_given_a_key_used_often_then_last_use_is_written_once_a_minute(burger, monkeypatch):
    _, key = create_api_key(burger, name="Bot", actor="t")
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    first = authenticate_api_key(key).last_used_at
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(seconds=30))
    assert authenticate_api_key(key).last_used_at == first
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(seconds=61))
    assert authenticate_api_key(key).last_used_at == start + timedelta(seconds=61)


def test_given_a_prefix_then_its_key_is_found_in_its_store_only(make, burger):
    other = make.store("toko-lain")
    row, key = create_api_key(burger, name="Bot", actor="t")
    assert find_by_prefix(row.prefix).id == row.id
    assert find_by_prefix(key).id == row.id
    with pytest.raises(NotFound):
        find_by_prefix(row.prefix, store_id=other.id)
    for bad in ("shk_", "", None, "x" * 300):
        with pytest.raises(NotFound):
            find_by_prefix(bad)
