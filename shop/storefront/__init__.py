"""The public storefront: store pages, cart and checkout."""

from flask import Blueprint

bp = Blueprint("storefront", __name__, url_prefix="/store")

from . import catalog, chat, routes  # noqa: E402, F401
