"""Per-store API keys of the bot tools API: made (the key shown once), revoked, and
checked on every call. Only the key's SHA-256 is stored: a key is 32 random bytes, so
an unkeyed hash is enough and the lookup by hash compares no secret byte by byte."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from .. import clock
from ..errors import InvalidInput, NotFound, NotSignedIn
from ..extensions import db
from ..models import ApiKey, Store

#: What every key starts with, so a leaked one is recognisable (secret scanners, logs).
KEY_PREFIX = "shk_"
#: Characters of the key shown to admins (the prefix and 8 of the random part).
SHOWN_CHARS = len(KEY_PREFIX) + 8
#: The longest key looked up (a key is 47 characters; anything far longer is not one).
MAX_KEY_LENGTH = 200
NAME_MAX = 100
#: last_used_at is written at most once per this many seconds of use.
TOUCH_SECONDS = 60
REFUSED = "API key tidak valid."


def key_hash(key: str) -> str:
    """SHA-256 (hex) of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def clean_name(raw) -> str:
    """The key's label ("Chatbot"), 1-100 characters. Raises InvalidInput."""
    name = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise InvalidInput("Nama kunci wajib diisi (maksimal 100 karakter).",
                           fields={"name": "Wajib diisi, maksimal 100 karakter."})
    return name


def create_api_key(store: Store, *, name, actor: str) -> tuple[ApiKey, str]:
    """Make a key for the store; returns the row and the key (shown once). Raises
    InvalidInput."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(store_id=store.id, name=clean_name(name), prefix=key[:SHOWN_CHARS],
                 key_hash=key_hash(key), created_by=actor[:120], created_at=clock.now())
    db.session.add(row)
    db.session.flush()
    return row, key


def revoke_api_key(row: ApiKey, *, actor: str) -> bool:
    """Revoke the key: every later call with it answers 401. False if it already was."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = clock.now()
    row.revoked_by = actor[:120]
    db.session.flush()
    return True


def store_keys(store_id: int) -> list[ApiKey]:
    """A store's keys, newest first (revoked ones too)."""
    return list(db.session.scalars(
        select(ApiKey).where(ApiKey.store_id == store_id)
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())))


def find_by_prefix(prefix: str, *, store_id: int | None = None) -> ApiKey:
    """The one key starting with this prefix (as admins see it). Raises NotFound."""
    text = prefix.strip() if isinstance(prefix, str) else ""
    if len(text) < SHOWN_CHARS or len(text) > MAX_KEY_LENGTH:
        raise NotFound("Kunci API tidak ditemukan.")
    query = select(ApiKey).where(ApiKey.prefix == text[:SHOWN_CHARS])
    if store_id is not None:
        query = query.where(ApiKey.store_id == store_id)
    rows = list(db.session.scalars(query.limit(2)))
    if len(rows) != 1:
        raise NotFound("Kunci API tidak ditemukan.")
    return rows[0]


def authenticate_api_key(raw) -> ApiKey:
    """The live key of a bearer value, its store loaded; last_used_at touched at most once
    a minute. Raises NotSignedIn (missing, unknown, revoked, or the store closed)."""
    if not isinstance(raw, str) or not raw.startswith(KEY_PREFIX) \
            or len(raw) > MAX_KEY_LENGTH or not raw.isascii():
        raise NotSignedIn(REFUSED)
    row = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash(raw)))
    if row is None or row.revoked_at is not None or not row.store.is_active:
        raise NotSignedIn(REFUSED)
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at >= timedelta(seconds=TOUCH_SECONDS):
        row.last_used_at = now
        db.session.flush()
    return row
