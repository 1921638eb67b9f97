"""The B2B dealer portal (seed 004): its pages under /portal (session token in a cookie)
and its JSON API under /api (session token as a bearer token), for dealer shops signed in
with a WhatsApp one-time code."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")
api_bp = Blueprint("portal_api", __name__, url_prefix="/api")

from . import api, routes, signin  # noqa: E402, F401
