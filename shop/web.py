"""Things every page shares: template filters, the public base URL, security headers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_babel import get_locale, gettext, refresh

from .services.labels import (
    ORDER_STATUS_LABELS,
    PAYMENT_METHODS,
    PAYMENT_STATUS_LABELS,
    payment_method_label,
)
from .services.money import format_rupiah
from .services.phones import local_phone, mask_phone

MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def public_base_url() -> str:
    """Where shoppers reach the shop: PUBLIC_BASE_URL, or the host of the current request."""
    return current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")


def local_datetime(value: datetime | None, tz: str = "Asia/Jakarta") -> str:
    """27 Jan 2024, 10:30 in the store's time zone."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(tz))
    return f"{local.day} {MONTHS_ID[local.month - 1]} {local.year}, {local:%H:%M}"


def page_payment_label(method: str | None, store=None) -> str:
    """The payment method as pages show it, in the visitor's language."""
    label = payment_method_label(method, store)
    base = PAYMENT_METHODS.get(method or "")
    return label.replace(base, gettext(base), 1) if base else label


def init_web(app: Flask) -> None:
    """Register filters and default security headers."""
    app.jinja_env.filters.update(
        rupiah=format_rupiah, local_datetime=local_datetime, mask_phone=mask_phone,
        local_phone=local_phone,
    )
    app.jinja_env.globals.update(
        ORDER_STATUS_LABELS=ORDER_STATUS_LABELS, PAYMENT_STATUS_LABELS=PAYMENT_STATUS_LABELS,
        payment_method_label=page_payment_label, get_locale=get_locale,
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
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
