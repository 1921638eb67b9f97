"""Admin users of the back office: creation, password checks and login throttling."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from ..errors import InvalidInput, NotFound, ShopError
from ..extensions import db
from ..models import AdminRole, AdminUser, LoginAttempt, Store, new_public_id
from .customers import clean_name

MIN_PASSWORD, MAX_PASSWORD = 8, 128
#: At most this many failed logins per account and per client address in the window.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
#: A hash that costs as much as a real one, checked when the account does not exist.
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


class LoginRefused(ShopError):
    """Wrong email or password (the same answer for both)."""

    code = "login_refused"
    status = 401


class LoginThrottled(ShopError):
    """Too many failed logins for this account or from this address."""

    code = "login_throttled"
    status = 429


def clean_password(raw) -> str:
    """A password of 8 to 128 characters. Raises InvalidInput."""
    if not isinstance(raw, str) or not MIN_PASSWORD <= len(raw) <= MAX_PASSWORD:
        raise InvalidInput(
            f"Kata sandi harus {MIN_PASSWORD} sampai {MAX_PASSWORD} karakter.",
            fields={"password": f"{MIN_PASSWORD}-{MAX_PASSWORD} karakter."},
        )
    return raw


def clean_admin_email(raw) -> str:
    """A valid email in lower case; .test addresses are allowed (demo and test admins).
    Raises InvalidInput."""
    from email_validator import EmailNotValidError, validate_email

    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise InvalidInput("Email wajib diisi.", fields={"email": "Wajib diisi."})
    try:
        valid = validate_email(text, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise InvalidInput("Email tidak valid.", fields={"email": "Email tidak valid."}) from None
    if len(valid.normalized) > 255:
        raise InvalidInput("Email terlalu panjang.", fields={"email": "Email terlalu panjang."})
    return valid.normalized.lower()


def clean_role(raw) -> AdminRole:
    """super_admin or admin. Raises InvalidInput."""
    try:
        return AdminRole(raw)
    except ValueError:
        raise InvalidInput("Peran harus super_admin atau admin.",
                           fields={"role": "super_admin atau admin."}) from None


def stores_by_slug(slugs: Iterable[str]) -> list[Store]:
    """The stores with these slugs. Raises NotFound naming the unknown ones."""
    wanted = list(dict.fromkeys(slugs))
    found = {s.slug: s for s in db.session.scalars(select(Store).where(Store.slug.in_(wanted)))}
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise NotFound("Toko tidak ditemukan: " + ", ".join(unknown) + ".")
    return [found[slug] for slug in wanted]


def save_admin(email: str, *, password: str | None, role, stores: list[Store],
               name: str | None = None) -> tuple[AdminUser, bool]:
    """Create the admin with this email, or update its role, stores, name and password.
    Returns (admin, created). Raises InvalidInput."""
    address = clean_admin_email(email)
    role = clean_role(role)
    user = db.session.scalar(select(AdminUser).where(AdminUser.email == address))
    created = user is None
    if created:
        if password is None:
            raise InvalidInput("Kata sandi wajib diisi.", fields={"password": "Wajib diisi."})
        user = AdminUser(email=address, name=clean_name(name or address.split("@")[0]),
                         password_hash="")
        db.session.add(user)
    elif name:
        user.name = clean_name(name)
    user.role = role
    user.stores = [] if role == AdminRole.SUPER_ADMIN else list(stores)
    if password is not None:
        set_password(user, password)
    db.session.flush()
    return user, created


def set_password(user: AdminUser, password: str) -> None:
    """A new password; every session of the user ends. Raises InvalidInput."""
    user.password_hash = generate_password_hash(clean_password(password))
    user.session_key = new_public_id("s")


def set_admin_active(user: AdminUser, active: bool) -> None:
    """Enable or disable an admin; disabling ends its sessions at once."""
    user.is_active = active
    if not active:
        user.session_key = new_public_id("s")
    db.session.flush()


def authenticate(email: str, password: str, *, client: str) -> AdminUser:
    """The active admin with this email and password. Every try is recorded; after 5 failures
    in 15 minutes for the account or the address, even the right password is refused until
    the window has passed. Raises LoginThrottled or LoginRefused (the caller commits, so the
    failed try is kept)."""
    address = (email or "").strip().lower()[:255]
    client = (client or "unknown")[:64]
    now = clock.now()
    by_account, by_client = db.session.execute(
        select(func.count().filter(LoginAttempt.email == address),
               func.count().filter(LoginAttempt.client == client))
        .where(LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > now - FAILURE_WINDOW,
               or_(LoginAttempt.email == address, LoginAttempt.client == client))).one()
    if max(by_account, by_client) >= MAX_FAILURES:
        db.session.add(LoginAttempt(email=address, client=client, succeeded=False,
                                    created_at=now))
        raise LoginThrottled("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 "
                             "menit.")
    user = db.session.scalar(select(AdminUser).where(AdminUser.email == address))
    good = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    ok = good and user is not None and user.is_active
    db.session.add(LoginAttempt(email=address, client=client, succeeded=ok, created_at=now))
    if not ok:
        raise LoginRefused("Email atau kata sandi salah.")
    user.last_login_at = now
    db.session.flush()
    return user
