"""The back office: Flask-Admin views on the shop's operations, behind the admin login."""

from __future__ import annotations

from flask import Flask, jsonify, redirect, request, url_for
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from ..extensions import login_manager
from ..web import csp_nonce, forget_per_request


def init_admin(app: Flask) -> Admin:
    """Register the admin login, the back-office views and the admin JSON APIs."""
    from . import auth
    from .api import bp as api_bp
    from .views import register_views
    from .views.dashboard import DashboardView

    app.register_blueprint(auth.bp)
    app.register_blueprint(api_bp)
    admin = Admin(
        app, name="Shop Admin", url="/admin",
        index_view=DashboardView(name="Dashboard", url="/admin", endpoint="admin"),
        theme=Bootstrap4Theme(base_template="admin/shop_master.html", fluid=True),
        csp_nonce_generator=csp_nonce,
    )
    register_views(admin)
    from .views import messages

    messages.register(admin)  # the outbox, message templates and queues, under "Pesan"
    from .views import bulk_messages

    bulk_messages.register(admin)  # "Pesan Massal", under "Pesan" too

    # The admin and its scope belong to one request, even when the app context that holds
    # `g` lives on (tests, CLI).
    forget_per_request("admin_scope", "_login_user")
    login_manager.login_view = "admin_auth.login"
    login_manager.login_message = None

    @login_manager.unauthorized_handler
    def unauthorized():
        """JSON callers get 401 JSON; people are sent to the login page."""
        if request.path.startswith("/api/"):
            body = {"success": False, "error": "Silakan masuk sebagai admin.",
                    "code": "unauthorized"}
            return jsonify(body), 401
        return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))

    return admin
