"""Things every page shares: template filters, the public base URL, security headers."""

from __future__ import annotations

import functools
import secrets
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale, dates
from flask import Flask, current_app, g, request, session
from flask_babel import get_locale, refresh

from .services.labels import (
    ORDER_STATUS_LABELS,
    PAYMENT_METHODS,
    PAYMENT_STATUS_LABELS,
    payment_method_label,
)
from .services.money import format_rupiah
from .services.phones import local_phone, mask_phone
from .template_i18n import gettext

#: A moment on a page, as Babel pattern: day, the month's short name, year, 24-hour time.
DATETIME_PATTERN = "d MMM y, HH:mm"
#: The shop's language where no request chose one (Flask-Babel's get_locale() is then None).
DEFAULT_LOCALE = Locale.parse("id")
MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")

#: The Content-Security-Policy of every response; script-src gains this request's nonce when a
#: page used one, style-src is widened for the back office (see content_security_policy).
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
#: Pages that may never be stored by a browser or proxy: the checkout page and its success
#: page carry the idempotency key and the tracking link (the order's capability).
NO_STORE_ENDPOINTS = frozenset({"storefront.checkout"})
ADMIN_PREFIX = "/admin"


def public_base_url() -> str:
    """Where shoppers reach the shop: PUBLIC_BASE_URL, or the host of the current request."""
    return current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")


#: Orders a browser remembers as its own, for the thank-you banner of their tracking page.
MAX_PLACED = 5


def remember_placed(order_id: str) -> None:
    """Keep the order this browser just placed (the last MAX_PLACED) in its session."""
    placed = [i for i in session.get("placed") or [] if isinstance(i, str)]
    session["placed"] = [*placed[-(MAX_PLACED - 1):], order_id]


#: Where a page rendered for every shopper has the shopper's CSRF token
#: (storefront/catalog.py fills it in).
CSRF_MARK = "\x00csrf\x00"


@contextmanager
def csrf_stand_in():
    """While a page for every shopper renders: csrf_token() gives CSRF_MARK. Flask-WTF
    keeps the request's token in `g`; the shopper's own is made afterwards."""
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    saved = g.pop(name, None)
    setattr(g, name, CSRF_MARK)
    try:
        yield
    finally:
        g.pop(name, None)
        if saved is not None:
            setattr(g, name, saved)


def just_placed(order_id: str) -> bool:
    """Whether this browser placed the order (its tracking page thanks the shopper)."""
    placed = session.get("placed")
    return isinstance(placed, list) and order_id in placed


def local_datetime(value: datetime | None, tz: str = "Asia/Jakarta") -> str:
    """27 Jan 2024, 10:30 in the store's time zone, the month in the request's language
    ("3 Des 2026" in Indonesian, "3 Dec 2026" in English; Indonesian outside a request)."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(tz))
    return dates.format_datetime(local, DATETIME_PATTERN, locale=get_locale() or DEFAULT_LOCALE)


def page_payment_label(method: str | None, store=None) -> str:
    """The payment method as pages show it, in the visitor's language."""
    label = payment_method_label(method, store)
    base = PAYMENT_METHODS.get(method or "")
    return label.replace(base, gettext(base), 1) if base else label


def csp_nonce() -> str:
    """This request's script nonce, made the first time a template or view asks for it."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def _is_admin_path(path: str) -> bool:
    """The back office (Flask-Admin) lives under /admin."""
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def _must_not_be_stored() -> bool:
    """Checkout and success pages, and every back-office page: they show personal data."""
    if request.endpoint in NO_STORE_ENDPOINTS:
        return True
    # The back office's own static files (jQuery, Bootstrap) hold nothing private and are
    # loaded by every admin page: they keep the default revalidation.
    return _is_admin_path(request.path) and not (request.endpoint or "").endswith(".static")


def content_security_policy(path: str, nonce: str | None) -> str:
    """The policy for one response: the nonce only if the page used one."""
    policy = _policy(_is_admin_path(path), nonce is not None)
    return policy if nonce is None else policy.replace(_NONCE_MARK, nonce)


_NONCE_MARK = "\x00nonce\x00"


@functools.cache
def _policy(admin: bool, with_nonce: bool) -> str:
    """The policy's text, built once per kind of page (the nonce as a mark to replace)."""
    policy = dict(CSP)
    if with_nonce:
        policy["script-src"] += f" 'nonce-{_NONCE_MARK}'"
    if admin:
        # Flask-Admin's widgets (form.js's date-range filter and map fields, x-editable) write
        # style="..." attributes, which no nonce can allow. An injected style can restyle a
        # page but not run code; scripts stay on 'self' plus the nonce. No nonce in style-src:
        # beside one, browsers ignore 'unsafe-inline'. The storefront needs none of this.
        policy["style-src"] += " 'unsafe-inline'"
    return "; ".join(f"{name} {sources}" for name, sources in policy.items())


def allow_uploads(app: Flask) -> None:
    """Bodies stay small (MAX_CONTENT_LENGTH), except file uploads (multipart forms: photos,
    logos, transfer proofs, CSV imports), which may carry a few files of UPLOAD_MAX_BYTES
    each; every file is still checked against UPLOAD_MAX_BYTES by the upload service."""

    @app.before_request
    def larger_bodies_for_uploads():
        if request.mimetype == "multipart/form-data":
            request.max_content_length = app.config["UPLOAD_REQUEST_MAX_BYTES"]


def init_web(app: Flask) -> None:
    """Register filters and default security headers."""
    app.jinja_env.filters.update(
        rupiah=format_rupiah, local_datetime=local_datetime, mask_phone=mask_phone,
        local_phone=local_phone,
    )
    app.jinja_env.globals.update(
        ORDER_STATUS_LABELS=ORDER_STATUS_LABELS, PAYMENT_STATUS_LABELS=PAYMENT_STATUS_LABELS,
        payment_method_label=page_payment_label, get_locale=get_locale, csp_nonce=csp_nonce,
    )

    @app.before_request
    def choose_language():
        """Each request picks its own language, even when the app context outlives it."""
        refresh()

    @app.after_request
    def remember_language(response):
        """?lang=en (or id) switches the pages' language and keeps it in a cookie."""
        wanted = request.args.get("lang")
        if wanted in app.config["LANGUAGES"] and request.cookies.get("lang") != wanted:
            response.set_cookie("lang", wanted, max_age=365 * 24 * 3600, samesite="Lax",
                                secure=app.config["SESSION_COOKIE_SECURE"], httponly=True)
        return response

    @app.after_request
    def security_headers(response):
        """CSP, no sniffing, no framing, no referrer outside the shop; no-store where private."""
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy", content_security_policy(request.path, g.get("csp_nonce"))
        )
        if _must_not_be_stored():
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def forget_per_request_values(_error):
        """One nonce and one shopper's CSRF token per request, even when the app context (and
        so g, where both are kept) outlives the request."""
        g.pop("csp_nonce", None)
        g.pop(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
