"""Telling the portal's callers apart. A dealer's pages carry its session token in an
HttpOnly cookie; its JSON API takes the token only from `Authorization: Bearer` (never a
cookie, so no other site can make a dealer's browser call it). Neither looks at an admin's
login session, and the admin API on the same paths (`PATCH /api/orders/<id>`) takes only
that: which endpoint a request reaches decides which credential counts."""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, g, request
from flask_limiter.util import get_remote_address

from ..errors import NotSignedIn
from ..extensions import db
from ..models import ShopSession
from ..services.otp import authenticate
from ..unit_of_work import commit

#: What request.user_agent may keep of a browser's header (sessions show it to admins).
USER_AGENT_MAX = 500


def client_details() -> dict:
    """The caller's address and browser, kept on the sessions it opens and uses."""
    agent = request.user_agent.string[:USER_AGENT_MAX] or None
    return {"ip": request.remote_addr, "user_agent": agent}


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if the request has one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def cookie_token() -> str | None:
    """The token the portal's pages keep in their cookie, if the browser sent one."""
    return request.cookies.get(current_app.config["PORTAL_COOKIE_NAME"]) or None


def signed_in(token: str | None) -> ShopSession:
    """The dealer session of this token, looked up (and extended) once per request.
    Raises NotSignedIn (no token, unknown, expired, revoked, shop disabled)."""
    if "portal_session" not in g:
        g.portal_session = None
        if token:
            try:
                g.portal_session = authenticate(token, **client_details())
                commit()  # the extension of a session in use is kept whatever comes next
            except NotSignedIn:
                db.session.rollback()
    if g.portal_session is None:
        raise NotSignedIn("Sesi Anda berakhir. Silakan masuk lagi.")
    return g.portal_session


def api_session() -> ShopSession:
    """The session of the API call's bearer token. Raises NotSignedIn."""
    return signed_in(bearer_token())


def page_session() -> ShopSession:
    """The session of the page's cookie. Raises NotSignedIn."""
    return signed_in(cookie_token())


def rate_limit_key() -> str:
    """The API's rate-limit bucket: the shop of a valid bearer token, else the address (the
    login calls, and calls that will be refused anyway)."""
    try:
        return f"shop:{api_session().shop_id}"
    except NotSignedIn:
        return f"addr:{get_remote_address()}"


def forget_session(_error=None) -> None:
    """The session belongs to one request, even when the app context that holds g lives on."""
    g.pop("portal_session", None)


def keep_cookie(response: Response, token: str, expires_at: datetime) -> Response:
    """Put (or renew) the dealer's token in the pages' cookie until the session expires."""
    config = current_app.config
    response.set_cookie(
        config["PORTAL_COOKIE_NAME"], token, expires=expires_at, path="/portal",
        httponly=True, samesite="Lax", secure=config["SESSION_COOKIE_SECURE"])
    return response


def drop_cookie(response: Response) -> Response:
    """Remove the dealer's token from the browser."""
    config = current_app.config
    response.delete_cookie(config["PORTAL_COOKIE_NAME"], path="/portal", httponly=True,
                           samesite="Lax", secure=config["SESSION_COOKIE_SECURE"])
    return response
