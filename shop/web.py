"""Things every page shares: template filters, the public base URL, security headers."""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import time
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel import Locale, dates
from flask import Flask, current_app, g, request, session
from flask_babel import get_locale

from .services.labels import (
    ORDER_STATUS_LABELS,
    PAYMENT_METHODS,
    PAYMENT_STATUS_LABELS,
    payment_method_label,
)
from .services.money import format_rupiah
from .services.phones import local_phone, mask_phone
from .sessions import KeyedSigner, SignedSerializer
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
#: The headers every response gets unless its view set them: (lower-case name, name, value).
SECURITY_HEADERS = (
    ("x-content-type-options", "X-Content-Type-Options", "nosniff"),
    ("x-frame-options", "X-Frame-Options", "DENY"),
    ("referrer-policy", "Referrer-Policy", "same-origin"),
)
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


#: Sec-Fetch-Site values of a request made by the shop's own pages (or typed by the shopper).
OWN_SITE = frozenset({"same-origin", "none"})


def posted_from_own_pages() -> bool:
    """Whether a form post came from the shop's own pages, as the browser says (CSRF
    protection by Fetch Metadata, as Go's CrossOriginProtection does it): Sec-Fetch-Site,
    sent by every browser since 2023, decides; else an Origin other than "null" must be this
    host. A post with neither (a browser from before 2023 on a page with
    `Referrer-Policy: no-referrer`, whose own posts say "null"; a client that is no browser)
    passes: it is no other site's form riding on a cookie."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in OWN_SITE
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc.lower() == request.host.lower()


def own_pages_only(view):
    """A form's view that other sites may not post to (posted_from_own_pages), exempt from
    Flask-WTF's session token: for forms whose address is their authority (the tracking
    page's), so that the page needs no session and renders alike for every visitor."""
    from .errors import NotAllowed
    from .extensions import csrf

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if not posted_from_own_pages():
            raise NotAllowed(gettext("Formulir ini hanya bisa dikirim dari halaman toko. "
                                     "Buka lagi halaman pesanan Anda lalu kirim dari sana."))
        return view(*args, **kwargs)

    return csrf.exempt(checked)


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


def prepare_requests(app: Flask) -> None:
    """Before anything reads the request: its own language, and its body limit.

    Bodies stay small (MAX_CONTENT_LENGTH), except file uploads (multipart forms: photos,
    logos, transfer proofs, CSV imports), which may carry a few files of UPLOAD_MAX_BYTES
    each; every file is still checked against UPLOAD_MAX_BYTES by the upload service."""

    @app.before_request
    def start_request():
        # Each request picks its own language, even when the app context outlives it:
        # Flask-Babel keeps the locale it chose in g._flask_babel (what its refresh() clears).
        g.pop("_flask_babel", None)
        if request.environ.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
            request.max_content_length = app.config["UPLOAD_REQUEST_MAX_BYTES"]


def protect_forms(app: Flask, csrf) -> None:
    """Flask-WTF's CSRF check of every form post, its exemptions kept, looked at only for
    the methods that carry a form: its own hook looked up the view of every GET first.
    Pages get their token from csrf_token()."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
    methods = frozenset(app.config["WTF_CSRF_METHODS"])

    @app.before_request
    def csrf_protect():
        if request.method in methods and app.config["WTF_CSRF_ENABLED"]:
            csrf.protect(apply_exemptions=True)


#: Signed CSRF tokens kept per process, by secret and the session's raw token: a page gets one
#: signed up to SIGNED_REUSE_SECONDS ago instead of a new signature (Flask-WTF signs one per
#: request: a serializer, a key derivation and two HMACs), as if it had been made then.
_SIGNED: dict[tuple, tuple[str, float]] = {}
SIGNED_REUSE_SECONDS = 60.0
MAX_SIGNED = 4096


def csrf_token() -> str:
    """This request's signed CSRF token, as Flask-WTF's generate_csrf() makes it, its
    signature (with its time) reused for a minute per session token. Validation is
    Flask-WTF's own: the token stays valid until WTF_CSRF_TIME_LIMIT after it was signed."""
    config = current_app.config
    name = config["WTF_CSRF_FIELD_NAME"]
    values = g._get_current_object().__dict__
    found = values.get(name)  # this request's, or a page's stand-in (csrf_stand_in)
    if found is not None:
        return found
    raw = session.get(name)
    limit = config.get("WTF_CSRF_TIME_LIMIT") or 3600
    key = (config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, raw)
    kept = _SIGNED.get(key) if isinstance(raw, str) else None
    now = time.monotonic()
    if kept is not None and now - kept[1] < min(SIGNED_REUSE_SECONDS, limit / 10):
        values[name] = kept[0]
        return kept[0]
    if not isinstance(raw, str):
        raw = session[name] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 (as Flask-WTF)
    token = values[name] = _csrf_serializer(key[0]).dumps(raw)
    if len(_SIGNED) >= MAX_SIGNED:
        _SIGNED.clear()
    _SIGNED[(key[0], raw)] = (token, now)
    return token


@functools.lru_cache(maxsize=4)
def _csrf_serializer(secret) -> SignedSerializer:
    """Flask-WTF's token serializer (the same salt, signer and format that its validate_csrf
    checks), made once per secret with its key derived once: generate_csrf makes a new one
    and derives the key for every token (a visitor without a session gets one per page)."""
    return SignedSerializer(secret, salt="wtf-csrf-token", signer=KeyedSigner)


def remember_admins(app: Flask, login_manager) -> None:
    """Flask-Login's remember-me cookie, its after-request hook run only when the session
    asks for it (a sign-in or sign-out marks it "_remember"): 0.1 M instructions a request;
    and its `current_user` in templates, loaded only where a template uses it."""
    login_manager.init_app(app)
    # Templates get current_user as the proxy itself, looked up only by a template that
    # uses it (the back office's), where Flask-Login's context processor loads the user for
    # every page rendered (~20 us a storefront page).
    from flask_login import current_user
    from flask_login.utils import _user_context_processor

    processors = app.template_context_processors[None]
    if _user_context_processor in processors:
        processors.remove(_user_context_processor)
        app.jinja_env.globals["current_user"] = current_user
    update = login_manager._update_remember_cookie
    if app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST"):
        return  # every response renews the cookie: Flask-Login's own hook stays
    hooks = app.after_request_funcs[None]
    at = hooks.index(update)

    def remember_cookie(response):
        return update(response) if "_remember" in session else response

    hooks[at] = remember_cookie


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

    @app.after_request
    def finish_response(response):
        """The language cookie, and the security headers."""
        if request.query_string:
            remember_language(app, response)
        security_headers(response)
        return response

    forget_per_request(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))

    @app.teardown_request
    def forget_per_request_values(_error):
        """What g holds for one request only (the nonce, the shopper's CSRF token, the
        admin), even when the app context (and so g) outlives the request."""
        values = g._get_current_object().__dict__
        for name in PER_REQUEST_G:
            values.pop(name, None)


#: What `g` holds for one request only (forget_per_request adds to it).
PER_REQUEST_G: list[str] = ["csp_nonce"]


def forget_per_request(*names: str) -> None:
    """Names in `g` that belong to one request: dropped when it ends."""
    PER_REQUEST_G.extend(name for name in names if name not in PER_REQUEST_G)


def remember_language(app: Flask, response) -> None:
    """?lang=en (or id) switches the pages' language and keeps it in a cookie."""
    wanted = request.args.get("lang")
    if wanted in app.config["LANGUAGES"] and request.cookies.get("lang") != wanted:
        response.set_cookie("lang", wanted, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=app.config["SESSION_COOKIE_SECURE"], httponly=True)


def security_headers(response) -> None:
    """CSP, no sniffing, no framing, no referrer outside the shop; no-store where private.
    A header the view set itself stays (one pass over the headers instead of four
    setdefault() scans: 0.25 M of a static file's 1.87 M instructions)."""
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    csp = content_security_policy(request.path, g.get("csp_nonce"))
    headers.extend([(name, value) for low, name, value in (
        *SECURITY_HEADERS, ("content-security-policy", "Content-Security-Policy", csp),
    ) if low not in present])
    if _must_not_be_stored():
        headers["Cache-Control"] = "no-store"
