"""JSON bodies for every endpoint: whatever a client sends is parsed or refused as a bad
request (400), never a server error."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider

from .errors import BadRequest


class ShopJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested too deeply to parse is invalid JSON."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON. Raises ValueError (as for any invalid JSON) when nested too deeply."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            # The C decoder gives up at the interpreter's recursion limit (~1,000 levels);
            # a ValueError is what get_json(silent=True) and on_json_loading_failed expect.
            raise ValueError("JSON nested too deeply") from None


class ShopRequest(Request):
    """A request whose unreadable JSON body is answered like every other refusal."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Raises BadRequest (code bad_request) for a body that is not valid JSON; a body not
        declared as JSON stays werkzeug's 415."""
        if e is None:
            return super().on_json_loading_failed(e)
        raise BadRequest("Body bukan JSON yang valid.") from e


def init_json(app: Flask) -> None:
    """Use the shop's JSON provider and request class."""
    app.json = ShopJSONProvider(app)
    app.request_class = ShopRequest
