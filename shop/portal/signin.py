"""Signing in and out of the portal: the WhatsApp number or shop code, the 6-digit code
(resent within the limits), and logout. The pending login waits in the signed Flask session;
the dealer's session token, once verified, lives only in the HttpOnly portal cookie."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, session, url_for

from ..errors import NotSignedIn, ShopError, TooManyRequests
from ..extensions import db
from ..services.otp import logout as end_session
from ..services.otp import request_otp, verify_otp
from ..services.phones import mask_phone
from ..template_i18n import gettext as _
from ..unit_of_work import commit
from . import bp
from .auth import client_details, cookie_token, drop_cookie, keep_cookie, signed_in
from .forms import ActionForm, CodeForm, LoginForm

#: The pages a dealer reaches without a session.
SIGN_IN_ENDPOINTS = frozenset({"portal.login", "portal.enter_code", "portal.resend_code",
                               "portal.logout"})
PENDING = "portal_login"


def wait_text(seconds: int) -> str:
    """'Coba lagi dalam 45 detik' / '... 15 menit': when a refused request may be repeated."""
    if seconds < 120:
        return _("Terlalu banyak percobaan. Coba lagi dalam %(seconds)s detik.",
                 seconds=max(seconds, 1))
    return _("Terlalu banyak percobaan. Coba lagi dalam %(minutes)s menit.",
             minutes=-(-seconds // 60))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Ask for a code by WhatsApp number or shop code; the same answer for unknown ones."""
    if _has_session():
        return redirect(url_for("portal.home"), 303)
    form = LoginForm()
    if form.validate_on_submit():
        wanted = form.otp_request()
        try:
            sent = request_otp(**wanted)
        except ShopError as error:
            db.session.rollback()
            return _refused("portal/login.html", form, form.login, error)
        commit()
        session[PENDING] = {"login": sent.login, "request": wanted}
        return redirect(url_for("portal.enter_code"), 303)
    return render_template("portal/login.html", form=form), 422 if form.errors else 200


@bp.route("/login/code", methods=["GET", "POST"])
def enter_code():
    """Check the 6-digit code; right: the session cookie, then the page asked for."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or "login" not in pending:
        return redirect(url_for("portal.login"), 303)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            new = verify_otp(login=pending["login"], code=form.code.data.strip(),
                             **client_details())
        except ShopError as error:  # a wrong code is counted outside the transaction
            db.session.rollback()
            return _refused("portal/code.html", form, form.code, error, sent_to=_sent_to())
        commit()
        session.pop(PENDING, None)
        target = _after_login(session.pop("portal_next", None))
        return keep_cookie(redirect(target, 303), new.token, new.expires_at)
    return render_template("portal/code.html", form=form, sent_to=_sent_to(),
                           resend_form=ActionForm()), 422 if form.errors else 200


@bp.post("/login/resend")
def resend_code():
    """Send a new code to the pending login (the older one stops working)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("request"), dict):
        return redirect(url_for("portal.login"), 303)
    form = CodeForm(formdata=None)
    try:
        sent = request_otp(**pending["request"])
    except ShopError as error:
        db.session.rollback()
        return _refused("portal/code.html", form, form.code, error, sent_to=_sent_to())
    commit()
    session[PENDING] = {**pending, "login": sent.login}
    flash(_("Kode baru sudah dikirim ke WhatsApp."), "ok")
    return redirect(url_for("portal.enter_code"), 303)


@bp.post("/logout")
def logout():
    """End the session (the token stops working everywhere) and drop the cookie."""
    token = cookie_token()
    if token:
        end_session(token)
        commit()
    g.portal_signed_out = True
    flash(_("Anda sudah keluar."), "ok")
    return drop_cookie(redirect(url_for("portal.login"), 303))


def _refused(template: str, form, field, error: ShopError, **context):
    """The page again with the refusal: the wait for a limit, else the reason at the field."""
    if isinstance(error, TooManyRequests):
        form.form_errors.append(wait_text(error.retry_after))
        headers = {"Retry-After": str(error.retry_after)}
    else:
        field.errors = [*field.errors, _message(error)]
        headers = {}
    page = render_template(template, form=form, resend_form=ActionForm(), **context)
    return page, error.status, headers


def _message(error: ShopError) -> str:
    """The refusal in the page's language (the operations speak Indonesian)."""
    if error.code == "invalid_otp":
        return _("Kode salah atau sudah tidak berlaku. Periksa WhatsApp Anda, atau minta "
                 "kode baru.")
    return error.message


def _sent_to() -> str | None:
    """The number the code went to, masked, when the dealer typed a number (the login is
    then that number, normalized)."""
    pending = session.get(PENDING) or {}
    wanted = pending.get("request") if isinstance(pending, dict) else None
    login = pending.get("login") if isinstance(pending, dict) else None
    if isinstance(wanted, dict) and "phone" in wanted and isinstance(login, str) and login:
        return mask_phone(login)
    return None


def _has_session() -> bool:
    try:
        signed_in(cookie_token())
    except NotSignedIn:
        return False
    return True


def _after_login(target) -> str:
    """The page that sent the dealer to the login, when it is a portal page."""
    if isinstance(target, str) and target.startswith("/portal/") and "//" not in target \
            and "\\" not in target and not target.startswith("/portal/log"):
        return target
    return url_for("portal.home")
