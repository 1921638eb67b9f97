"""JSON APIs: headless checkout now; bot tools, webhooks and OpenAPI later."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import orders  # noqa: E402, F401
