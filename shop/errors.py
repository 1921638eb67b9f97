"""The domain error hierarchy and the handlers that turn errors into HTML or JSON."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .template_i18n import gettext

log = logging.getLogger(__name__)


class ShopError(Exception):
    """A refusal the user can read: stable code, message and HTTP status."""

    code = "shop_error"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, **details):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.details = details

    def to_json(self) -> dict:
        """The JSON body every API answers this error with."""
        body: dict = {"success": False, "error": self.message, "code": self.code}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.details)
        return body


class InvalidInput(ShopError):
    """The user entered something the shop cannot take."""

    code = "invalid_input"
    status = 422


class BadRequest(ShopError):
    """The request itself is malformed (not JSON, wrong types)."""

    code = "bad_request"
    status = 400


class NotFound(ShopError):
    """The thing asked for does not exist (or is not visible to the asker)."""

    code = "not_found"
    status = 404


class Conflict(ShopError):
    """The request collides with the current state (stock, a concurrent change)."""

    code = "conflict"
    status = 409


class StaleChange(Conflict):
    """Someone else changed the row since it was read (two admins on one order)."""

    code = "stale_change"


class CustomerBlocked(Conflict):
    """The store has blocked this customer's number from ordering."""

    code = "customer_blocked"


class IdempotencyKeyReused(Conflict):
    """An idempotency key sent again with another checkout (other phone or cart)."""

    code = "idempotency_key_reused"


class DuplicateValue(Conflict):
    """A value that must be unique (a phone, an email, a code) is already taken."""

    code = "duplicate"


class NotAllowed(ShopError):
    """The signed-in person may not do this (another store's data, a super admin's task)."""

    code = "forbidden"
    status = 403


class NotSignedIn(ShopError):
    """The request needs a signed-in admin (or a dealer's valid session token)."""

    code = "unauthorized"
    status = 401


class InvalidCode(ShopError):
    """A one-time login code that is wrong, expired or already used."""

    code = "invalid_otp"
    status = 401


class TooManyRequests(ShopError):
    """A limit was reached (OTP requests, wrong codes); `retry_after` says when to try again
    (seconds), sent as the Retry-After header."""

    code = "too_many_requests"
    status = 429

    def __init__(self, message: str, *, retry_after: int, **details):
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class ServiceUnavailable(ShopError):
    """A service the answer needs is not set up or not reachable (the support chat's model)."""

    code = "service_unavailable"
    status = 503


class ChatUnavailable(ServiceUnavailable):
    """The support chat has no model configured (no ANTHROPIC_API_KEY)."""

    code = "chat_unavailable"


class ChatFailed(ShopError):
    """The support chat's model could not be reached or answered an error."""

    code = "chat_failed"
    status = 502


class OutOfStock(Conflict):
    """Not enough stock for one or more items. Like every ShopError raised by an operation,
    it leaves the transaction to be rolled back by the boundary, which undoes what the
    operation had written so far."""

    code = "out_of_stock"


class TransitionRefused(Conflict):
    """A status change the state machine does not allow."""

    code = "transition_refused"


def wants_json() -> bool:
    """Whether the client should get JSON rather than a page."""
    if request.path.startswith("/api/"):
        return True
    accept = request.headers.get("Accept", "")
    if "json" not in accept and "application/*" not in accept:
        return False  # a browser's Accept: nothing to parse (a third of a cart form's hooks)
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    accepted = request.accept_mimetypes
    return best == "application/json" and accepted[best] > accepted["text/html"]


def _same_site(url: str | None) -> bool:
    """Whether a Referer points back into this site (so a 'back' link is safe)."""
    return bool(url) and url.startswith(request.host_url) and url.isprintable()


def register_error_handlers(app: Flask) -> None:
    """Answer ShopError and HTTP errors as JSON for APIs and as pages for people."""
    from .extensions import db

    @app.errorhandler(ShopError)
    def handle_shop_error(error: ShopError):
        db.session.rollback()
        headers = {"Retry-After": str(error.retry_after)} if isinstance(
            error, TooManyRequests) else {}
        if wants_json():
            return jsonify(error.to_json()), error.status, headers
        page = "404.html" if error.status == 404 else "error.html"
        return (render_template(page, message=error.message, status=error.status),
                error.status, headers)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        message = gettext("Sesi halaman habis. Muat ulang halaman lalu coba lagi.")
        if wants_json():
            return jsonify({"success": False, "error": message, "code": "csrf"}), 400
        back = request.referrer if _same_site(request.referrer) else None
        return render_template("error.html", message=message, status=400, back=back), 400

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if error.code == 413:
            message = gettext("Berkas terlalu besar. Foto maksimal 5 MB, kirim sedikit-sedikit.")
            if wants_json():
                return jsonify({"success": False, "error": message, "code": "too_large"}), 413
            back = request.referrer if _same_site(request.referrer) else None
            return render_template("error.html", message=message, status=413, back=back), 413
        if error.code == 429:
            message = gettext("Terlalu banyak permintaan. Silakan coba lagi sebentar lagi.")
            if wants_json():
                body = {"success": False, "error": message, "code": "rate_limited"}
                return jsonify(body), 429
            return render_template("error.html", message=message, status=429), 429
        if wants_json():
            body = {"success": False, "error": error.description, "code": error.name.lower()}
            return jsonify(body), error.code
        if error.code == 404:  # the same page for every unknown address
            return render_template("404.html", message=None, status=404), 404
        return render_template("error.html", message=error.description, status=error.code), \
            error.code

    @app.errorhandler(Exception)
    def handle_bug(error: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = gettext("Maaf, terjadi kesalahan di server. Silakan coba lagi.")
        if wants_json():
            return jsonify({"success": False, "error": message, "code": "server_error"}), 500
        try:
            return render_template("error.html", message=message, status=500), 500
        except Exception:  # the page itself is broken: still answer something readable
            log.exception("error page failed")
            return message, 500, {"Content-Type": "text/plain; charset=utf-8"}
