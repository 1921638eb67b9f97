"""Helpers of the catalog, store, dealer and user tests: CSRF on for a block, the page's
token, the page a redirect leads to."""

from __future__ import annotations

import re
from contextlib import contextmanager

META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@contextmanager
def csrf_enabled(app):
    """Turn the app-wide CSRF protection on (it is off in tests) for a block."""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def csrf_token(client, url: str = "/admin/") -> str:
    """The token a back-office page carries in its <meta name="csrf-token">."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return META_TOKEN.search(page.get_data(as_text=True)).group(1)


def text(answer) -> str:
    return answer.get_data(as_text=True)


def follow(client, answer) -> str:
    """The page a redirect leads to (with the messages flashed on the way)."""
    assert answer.status_code in (302, 303), (answer.status_code, text(answer)[:500])
    return text(client.get(answer.headers["Location"]))


def to_login(answer) -> bool:
    """Whether an answer sends the visitor to the admin login page."""
    return answer.status_code == 302 and answer.headers["Location"].startswith("/admin/login")

