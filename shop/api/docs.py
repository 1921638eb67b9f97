"""GET /api/openapi.json: the OpenAPI document of every JSON endpoint, generated from the
schemas the views validate with (shop.api.schema), built once per process."""

from __future__ import annotations

from flask import current_app, jsonify

from . import bp
from .schema import AnyObject, documented, openapi_document


@bp.get("/openapi.json")
@documented(answer=AnyObject, errors=())
def openapi():
    """The OpenAPI 3.1 document of the shop's JSON APIs."""
    document = current_app.extensions.get("shop_openapi")
    if document is None:
        document = current_app.extensions["shop_openapi"] = openapi_document(current_app)
    return jsonify(document)
