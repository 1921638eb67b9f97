"""JSON APIs: the headless checkout and the OpenAPI document (bot tools and the WhatsApp
webhook have blueprints of their own under /api)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import docs, orders  # noqa: E402, F401
