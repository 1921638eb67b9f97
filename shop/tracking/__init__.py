"""The public tracking page: the order id is the capability, no login."""

from flask import Blueprint

bp = Blueprint("tracking", __name__)

from . import documents, routes, self_service  # noqa: E402, F401
