"""The session cookie: Flask's own signed cookie (same format, same keys, same checks), with
its signer built once per process instead of twice per request.

Flask's SecureCookieSessionInterface makes a new URLSafeTimedSerializer when it opens and
when it saves a session, and itsdangerous derives the HMAC key from the secret (one HMAC
more) for every signature it makes or checks. Every page opens the cookie, so that was 0.38 M
of a static file's 1.87 M instructions (bench/cpu_per_request.py, callgrind)."""

from __future__ import annotations

import zlib

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import Serializer, TimestampSigner, URLSafeTimedSerializer, want_bytes
from itsdangerous.encoding import base64_encode


class KeyedSigner(TimestampSigner):
    """A TimestampSigner whose key derivation is done once per secret, salt and digest (the
    serializer makes a new signer for every cookie it reads or writes)."""

    _derived: dict[tuple, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        found = (secret, self.salt, self.key_derivation, self.digest_method)
        key = self._derived.get(found)
        if key is None:
            key = self._derived[found] = super().derive_key(secret)
        return key


class SignedSerializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe serializer with its signer kept, and no zlib for short
    payloads (a session holding only its CSRF token, a CSRF token), which itsdangerous
    tries: below SHORT bytes of JSON zlib's own header and checksum make them longer anyway,
    and each try sets up a compressor. Longer payloads are compressed as before."""

    SHORT = 64

    def make_signer(self, salt=None):
        """The signer for this salt, made once (itsdangerous makes one for every dumps and
        loads; a signer holds only its settings)."""
        signers = self.__dict__.setdefault("_signers", {})
        found = signers.get(salt)
        if found is None:
            found = signers[salt] = super().make_signer(salt)
        return found

    def dump_payload(self, obj) -> bytes:
        json = Serializer.dump_payload(self, obj)
        if len(json) >= self.SHORT:  # as URLSafeSerializerMixin.dump_payload does
            compressed = zlib.compress(json)
            if len(compressed) < len(json) - 1:
                return b"." + base64_encode(compressed)
        return base64_encode(json)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the serializer kept while the secret keys stay."""

    def __init__(self):
        self._serializer: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._serializer is None or self._serializer[0] != keys:
            self._serializer = (keys, self._build(app, keys))
        return self._serializer[1]

    def _build(self, app: Flask, keys: tuple) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        return SignedSerializer(
            [*keys[1:], keys[0]],  # itsdangerous wants the current key last
            salt=self.salt, serializer=self.serializer, signer=KeyedSigner,
            signer_kwargs={"key_derivation": self.key_derivation,
                           "digest_method": self.digest_method})


def init_sessions(app: Flask) -> None:
    """Sign the session cookie as Flask does, with the signer built once."""
    app.session_interface = CookieSessions()

