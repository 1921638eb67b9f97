"""The shop: storefront, tracking, back office, B2B portal and chat channels in one app."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from flask import Flask

from .config import load_config


class ShopFlask(Flask):
    """Flask, with each hook's and view's sync check made once: Flask asks inspect whether a
    function is a coroutine for each of the ~15 hooks and the view of every request."""

    _checked: dict

    def ensure_sync(self, func: Callable) -> Callable:
        checked = self.__dict__.setdefault("_checked", {})
        try:
            return checked[func]
        except (KeyError, TypeError):  # not seen yet, or not hashable
            sync = super().ensure_sync(func)
            if len(checked) < MAX_CHECKED:
                try:
                    checked[func] = sync
                except TypeError:
                    pass
            return sync


#: Functions whose sync check ShopFlask keeps (hooks, views, error handlers: ~150 here).
MAX_CHECKED = 2048


def create_app(config: dict | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error pages, CLI."""
    app = ShopFlask(__name__, template_folder="../templates", static_folder="../static",
                instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, config))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from . import database, jsonio, sessions, template_i18n, web
    from .errors import register_error_handlers
    from .extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale
    from .unit_of_work import init_unit_of_work

    database.configure_engine_options(app)
    db.init_app(app)
    init_unit_of_work(app)
    with app.app_context():
        for engine in db.engines.values():  # the main database and the legacy ERP's
            database.tune_engine(engine)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    web.prepare_requests(app)  # before CSRFProtect, which reads the form first
    web.protect_forms(app, csrf)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    web.remember_admins(app, login_manager)
    login_manager.user_loader(_load_user)
    web.init_web(app)
    sessions.init_sessions(app)
    template_i18n.install(app)
    jsonio.init_json(app)

    from .api import bp as api_bp
    from .api.bot import bp as bot_bp
    from .api.whatsapp import bp as whatsapp_bp
    from .health import bp as health_bp
    from .portal import api_bp as portal_api_bp
    from .portal import bp as portal_bp
    from .storefront import bp as storefront_bp
    from .tracking import bp as tracking_bp
    from .uploads import bp as uploads_bp

    app.register_blueprint(storefront_bp)
    app.register_blueprint(tracking_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(bot_bp)
    app.register_blueprint(whatsapp_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(portal_api_bp)
    app.register_blueprint(uploads_bp)
    app.register_blueprint(health_bp)
    csrf.exempt(api_bp)
    csrf.exempt(bot_bp)  # a bearer key only, which no browser sends by itself
    csrf.exempt(whatsapp_bp)  # a bearer token or the provider's signature only
    csrf.exempt(portal_api_bp)  # signed in by a bearer header only, which no other site sends
    from .admin import init_admin

    init_admin(app)
    register_error_handlers(app)

    from .tracking.front import TrackingFront

    app.wsgi_app = TrackingFront(app, app.wsgi_app)
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    from .cli import register_cli

    register_cli(app)
    return app


def _load_user(login_id: str):
    """The active admin behind a login session ("<id>:<session key>"), if any: a disabled
    admin, or one whose session key changed, is signed out at the next request."""
    from .extensions import db
    from .models import AdminUser

    user_id, _, key = login_id.partition(":")
    user = db.session.get(AdminUser, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or user.session_key != key:
        return None
    return user
