"""JSON APIs behind the admin login (seed 000's order and customer edits, seed 003's CRM).

Unlike the public /api blueprint, these calls need the admin's session and its CSRF token
(header X-CSRFToken, from the page's <meta name="csrf-token">); anonymous calls get 401 JSON.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

bp = Blueprint("admin_api", __name__, url_prefix="/api")


@bp.before_request
def require_admin():
    """401 JSON for anonymous calls, never a redirect to the login page."""
    if not current_user.is_authenticated:
        body = {"success": False, "error": "Silakan masuk sebagai admin.", "code": "unauthorized"}
        return jsonify(body), 401
    return None


from . import b2b, customers, orders  # noqa: E402, F401
