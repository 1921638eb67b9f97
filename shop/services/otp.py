"""The dealers' WhatsApp one-time-password login and their session tokens (seed 004 section
2B, DESIGN.md "OTP").

A code is 6 digits from `secrets`, kept only as an HMAC-SHA256 under the app's SECRET_KEY
(a plain hash of a million possible values protects nothing), bound to its number, valid
OTP_VALIDITY_SECONDS and used once: the verification that wins a conditional UPDATE (`WHERE
used_at IS NULL`) opens the session, so parallel verifications of one code give one session.
A newer code voids the older. The limits per number (requests, cooldown, wrong codes and the
block) are counted in shop.services.otp_limits, shared by every web process and untouched
by the rollback that follows a refusal. A number no active shop has gets the same answer
and the same limits, and no message. A session token is 32 random bytes, kept as SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from .. import clock
from ..errors import InvalidCode, InvalidInput, NotSignedIn, TooManyRequests
from ..extensions import db
from ..models import Shop, ShopOtp, ShopSession
from .dealers import clean_shop_code
from .notifications import Message, queue_messages
from .otp_limits import otp_limits
from .phones import normalize_phone

#: A session in use is written (last activity, new expiry) at most this often.
TOUCH_SECONDS = 60
#: What a session keeps of the client's user agent.
USER_AGENT_MAX = 500
WRONG_CODE = "Kode OTP salah atau sudah tidak berlaku."
SIGNED_OUT = "Sesi Anda berakhir. Silakan masuk lagi."
#: Compared against when there is no code to compare with, so that takes as long.
_NO_CODE = "0" * 64


@dataclass(frozen=True)
class OtpSent:
    """The answer to a code request, the same whether or not a shop has the number."""

    #: What verify_otp is given back: the normalized phone, or the upper-cased shop code.
    login: str
    #: Seconds the code is valid.
    expires_in: int


@dataclass(frozen=True)
class NewSession:
    """A dealer's new login: the bearer token (shown once, never stored) and its session."""

    token: str
    session: ShopSession
    shop: Shop
    expires_at: datetime


@dataclass(frozen=True)
class _Login:
    login: str
    #: The limits' bucket: the shop's (or the written) number, or code:<CODE> for a code no
    #: shop has.
    bucket: str
    shop: Shop | None


def _config(name: str) -> int:
    return current_app.config[name]


def request_otp(*, phone: str | None = None, shop_code: str | None = None) -> OtpSent:
    """Send a new login code to the WhatsApp of the active shop with this number (any
    written form) or code; the same answer, and no message, when no shop has it.
    Raises InvalidInput (neither given, unreadable) or TooManyRequests."""
    if not (phone and str(phone).strip()) and not (shop_code and str(shop_code).strip()):
        raise InvalidInput("Isi nomor WhatsApp atau kode toko.",
                           fields={"phone": "Wajib diisi (atau kode toko)."})
    who = _login_of_phone(phone) if phone and str(phone).strip() else _login_of_code(shop_code)
    now = clock.now()
    limits = otp_limits()
    wait = limits.blocked_for(who.bucket, now)
    if wait:
        raise _blocked(wait)
    wait = limits.take_request(who.bucket, now)
    if wait:
        raise TooManyRequests(f"Kode baru bisa diminta lagi dalam {_spoken(wait)}.",
                              retry_after=wait)
    if who.shop is not None and who.shop.is_active:
        _send_code(who.shop, now)
    return OtpSent(login=who.login, expires_in=_config("OTP_VALIDITY_SECONDS"))


def _login_of_phone(raw) -> _Login:
    phone = normalize_phone(raw, field="phone")
    shop = db.session.scalar(select(Shop).where(Shop.phone == phone))
    return _Login(login=phone, bucket=phone, shop=shop)


def _login_of_code(raw) -> _Login:
    code = clean_shop_code(raw)
    shop = db.session.scalar(select(Shop).where(Shop.code == code))
    return _Login(login=code, bucket=shop.phone if shop else f"code:{code}", shop=shop)


def _send_code(shop: Shop, now: datetime) -> None:
    """A new code for the shop's number (voiding the older ones), sent through the outbox
    on the `high` queue after the commit."""
    code = f"{secrets.randbelow(10**6):06d}"
    db.session.execute(
        update(ShopOtp)
        .where(ShopOtp.phone == shop.phone, ShopOtp.used_at.is_(None), ShopOtp.expires_at > now)
        .values(expires_at=now))
    validity = _config("OTP_VALIDITY_SECONDS")
    db.session.add(ShopOtp(phone=shop.phone, code_hash=code_hash(shop.phone, code),
                           expires_at=now + timedelta(seconds=validity), attempts=0,
                           created_at=now))
    db.session.flush()
    values = {"code": code, "minutes": max(validity // 60, 1), "store_name": shop.store.name}
    queue_messages([Message(shop.phone, "otp", values)], store_id=shop.store_id,
                   order_id=None, now=now)


def code_hash(phone: str, code: str) -> str:
    """HMAC-SHA256 (hex) of a code and its number under the app's SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def verify_otp(*, login: str, code: str, ip: str | None = None,
               user_agent: str | None = None) -> NewSession:
    """Trade the newest code of a number (any written form) or shop code for a session.
    Raises InvalidCode (wrong, expired, used, no such shop) or TooManyRequests (blocked:
    even the right code waits; OTP_MAX_WRONG wrong codes start the block)."""
    who = _verify_login(login)
    now = clock.now()
    limits = otp_limits()
    wait = limits.blocked_for(who.bucket, now)
    if wait:
        raise _blocked(wait)
    shop = who.shop if who.shop is not None and who.shop.is_active else None
    otp = _newest_code(shop.phone) if shop is not None else None
    typed = code.strip()[:32] if isinstance(code, str) else ""
    matches = hmac.compare_digest(
        otp.code_hash if otp is not None else _NO_CODE,
        code_hash(shop.phone if shop else who.bucket, typed))
    usable = otp is not None and otp.used_at is None and otp.expires_at > now
    if matches and usable and _claim(otp, now):
        limits.clear_wrong(who.bucket)
        return _open_session(shop, now, ip=ip, user_agent=user_agent)
    if matches and otp is not None and (usable or otp.used_at is not None):
        # The right code, taken by a parallel (or an earlier) verification: not a guess.
        raise InvalidCode(WRONG_CODE)
    if otp is not None:
        db.session.execute(update(ShopOtp).where(ShopOtp.id == otp.id)
                           .values(attempts=ShopOtp.attempts + 1))
    wait = limits.count_wrong(who.bucket, now)
    if wait:
        raise _blocked(wait)
    raise InvalidCode(WRONG_CODE)


def _verify_login(login) -> _Login:
    """The login verify_otp is given; an unreadable one is a wrong code, like any other."""
    text = login.strip() if isinstance(login, str) else ""
    try:
        if any(ch.isalpha() for ch in text):
            return _login_of_code(text)
        return _login_of_phone(text)
    except InvalidInput:
        raise InvalidCode(WRONG_CODE) from None


def _newest_code(phone: str) -> ShopOtp | None:
    return db.session.scalar(select(ShopOtp).where(ShopOtp.phone == phone)
                             .order_by(ShopOtp.created_at.desc(), ShopOtp.id.desc()).limit(1))


def _claim(otp: ShopOtp, now: datetime) -> bool:
    """Use the code, if no other verification did meanwhile (one conditional UPDATE)."""
    used = db.session.execute(
        update(ShopOtp)
        .where(ShopOtp.id == otp.id, ShopOtp.used_at.is_(None), ShopOtp.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False))
    db.session.expire(otp)
    return used.rowcount == 1


def _open_session(shop: Shop, now: datetime, *, ip: str | None,
                  user_agent: str | None) -> NewSession:
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=_config("OTP_SESSION_DAYS"))
    session = ShopSession(shop_id=shop.id, token_hash=token_hash(token),
                          ip_address=(ip or None) and ip[:45],
                          user_agent=(user_agent or None) and user_agent[:USER_AGENT_MAX],
                          last_activity=now, expires_at=expires_at, created_at=now)
    db.session.add(session)
    db.session.flush()
    return NewSession(token=token, session=session, shop=shop, expires_at=expires_at)


def token_hash(token: str) -> str:
    """SHA-256 (hex) of a session token: 32 random bytes need no key."""
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(token: str | None, *, ip: str | None = None,
                 user_agent: str | None = None) -> ShopSession:
    """The live session of a bearer token, extended (another OTP_SESSION_DAYS from now,
    written at most once a minute). Raises NotSignedIn (unknown, revoked, expired, or the
    shop disabled)."""
    if not isinstance(token, str) or not token or len(token) > 200:
        raise NotSignedIn(SIGNED_OUT)
    session = db.session.scalar(
        select(ShopSession)
        # the shop and its distributor in the same statement: every portal answer uses both
        .options(joinedload(ShopSession.shop).joinedload(Shop.store))
        .where(ShopSession.token_hash == token_hash(token)))
    now = clock.now()
    if session is None or session.revoked_at is not None or session.expires_at <= now \
            or not session.shop.is_active:
        raise NotSignedIn(SIGNED_OUT)
    if now - session.last_activity >= timedelta(seconds=TOUCH_SECONDS):
        session.last_activity = now
        session.expires_at = now + timedelta(days=_config("OTP_SESSION_DAYS"))
        if ip:
            session.ip_address = ip[:45]
        if user_agent:
            session.user_agent = user_agent[:USER_AGENT_MAX]
        db.session.flush()
    return session


def logout(token: str | None) -> None:
    """Revoke the session of this token (nothing happens for an unknown one)."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return
    db.session.execute(
        update(ShopSession)
        .where(ShopSession.token_hash == token_hash(token), ShopSession.revoked_at.is_(None))
        .values(revoked_at=clock.now()))


def end_shop_sessions(shop_id: int) -> int:
    """Revoke every session of a shop (it was disabled or removed). Returns how many."""
    result = db.session.execute(
        update(ShopSession)
        .where(ShopSession.shop_id == shop_id, ShopSession.revoked_at.is_(None))
        .values(revoked_at=clock.now()))
    return result.rowcount


def _blocked(wait: int) -> TooManyRequests:
    return TooManyRequests(
        f"Terlalu banyak kode salah. Nomor ini bisa mencoba lagi dalam {_spoken(wait)}.",
        retry_after=wait)


def _spoken(seconds: int) -> str:
    """A wait as a person reads it: "45 detik", "15 menit"."""
    return f"{seconds} detik" if seconds < 60 else f"{-(-seconds // 60)} menit"
