"""Admin login and logout at /admin/login, and the 2-hour idle limit of admin sessions."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from .. import clock
from ..services.admin_users import LoginRefused, LoginThrottled, authenticate
from ..unit_of_work import commit
from .forms import LoginForm

bp = Blueprint("admin_auth", __name__)

#: An admin session ends after this long without a request (seed 004: 2 hours).
IDLE_LIMIT = timedelta(hours=2)
#: "Remember me" keeps the admin signed in this long without activity.
REMEMBER_LIMIT = timedelta(days=7)


@bp.route("/admin/login", methods=["GET", "POST"])
def login():
    """The login page; a new session at every login, throttled failures."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data, client=request.remote_addr)
        except (LoginRefused, LoginThrottled) as error:
            commit()  # the failed try counts
            form.form_errors.append(error.message)
            status = error.status
        else:
            commit()
            target = _safe_next(form.next.data)
            session.clear()  # a new session (and CSRF token) for the signed-in admin
            login_user(user, remember=form.remember.data, duration=REMEMBER_LIMIT)
            session["admin_remember"] = bool(form.remember.data)
            session["admin_seen"] = clock.now().timestamp()
            return redirect(target)
    elif request.method == "POST":
        status = 422
    return render_template("admin/login.html", form=form), status


@bp.post("/admin/logout")
def logout():
    """Sign out and forget the session."""
    logout_user()
    session.clear()
    flash("Anda sudah keluar.", "info")
    return redirect(url_for("admin_auth.login"))


def _safe_next(target: str | None) -> str:
    """Only a path inside the back office, never another site."""
    if target and target.startswith("/admin") and not target.startswith("//") \
            and target.isprintable() and "\\" not in target:
        return target
    return url_for("admin.index")


@bp.before_app_request
def end_idle_sessions():
    """Sign out an admin whose last request is older than the idle limit."""
    # The back office and its JSON API (which shares /api with the public checkout API, whose
    # callers never sign in: looking the admin up there cost ~80 us a checkout).
    back_office = request.path.startswith("/admin") or request.blueprint == "admin_api"
    if not back_office or request.path == "/admin/login":
        return None
    if not current_user.is_authenticated:
        return None
    now = clock.now().timestamp()
    limit = REMEMBER_LIMIT if session.get("admin_remember") else IDLE_LIMIT
    seen = session.get("admin_seen")
    if isinstance(seen, int | float) and now - seen > limit.total_seconds():
        logout_user()
        session.clear()
        current_app.logger.info("admin session ended after %s idle", limit)
        return None
    session["admin_seen"] = now
    return None
