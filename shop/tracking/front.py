"""The tracking page's front: a kept page answered before Flask is even asked.

A GET of /track/<order id> with no query string and no cookie but the language's gets the
same response for every visitor who sees the same version of the order (tracking/routes.py
renders it alike for all of them; no hook of the app adds anything of the visitor's to it:
tests/tracking/test_tracking_front.py holds the list of hooks). The version is the `xmin` of
the order's row, which changes with everything the page shows of the order
(models/order_versions.py), and of the store's row. So the front reads those two on the
thread's read connection, and when this process already has the response the app gave for
them, the language and the address, sends it as it is: no request context, no hooks, no
rendering. Everything else goes to the app: a first render (kept under the versions the view
read with the page's data), a visitor with a session (a thank-you, a flashed message),
?lang=, an unknown id, any other page. A database error is the app's to answer too.

Only on PostgreSQL, and only outside an app context: inside one (a test's transaction, a
command) the session may hold changes the read connection cannot see."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flask import Flask, has_app_context
from sqlalchemy import exc
from werkzeug.http import parse_cookie

from ..services.process_cache import ProcessCache
from ..services.tracking import tracking_versions

PAGE = re.compile(r"/track/(c[0-9a-z]{25})")
#: Set by the view when its response is the same for every visitor of the row: the versions
#: of the order's and the store's rows it was rendered from (services/tracking.py).
ALIKE_FOR_ALL = "shop.tracking.alike"
#: Set by the front in the environ of a request it may keep the answer of: the key's rest.
KEY_REST = "shop.tracking.key"
#: Responses kept per process (~7 KB each, as many as the view keeps pages), and their name.
SIZE = 2048
CACHE = "shop_tracking_responses"


class TrackingFront:
    """WSGI middleware in front of the app's own wsgi_app (inside ProxyFix, when used)."""

    def __init__(self, app: Flask, inner: Callable):
        self.app, self.inner = app, inner
        self._engine = None
        #: Flask-Limiter's limits for every route would apply to the page too: then the
        #: front steps aside (the shop sets none; GET /track has no limit of its own).
        self.enabled = not (app.config.get("RATELIMIT_DEFAULT")
                            or app.config.get("RATELIMIT_APPLICATION"))

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.inner(environ, start_response)
        kept = self._responses().get(key)
        if kept is not None:
            status, headers, body = kept
            start_response(status, list(headers))
            return [body]
        environ[KEY_REST] = key[2:]
        return self._answer_and_keep(environ, start_response)

    def _key(self, environ: dict) -> tuple | None:
        """What the response depends on, for a request the front may answer; else None:
        the versions of the order's and the store's rows, the language and the address."""
        if environ["REQUEST_METHOD"] != "GET" or environ.get("QUERY_STRING"):
            return None
        found = PAGE.fullmatch(environ.get("PATH_INFO", ""))
        if found is None or not self.enabled or has_app_context():
            return None
        language = self._language(environ.get("HTTP_COOKIE"))
        engine = self._postgresql()
        if language is None or engine is None:
            return None
        try:
            versions = tracking_versions(engine, found.group(1))
        except exc.DBAPIError:
            return None  # the app reads it again and answers as it does to a lost database
        if versions is None:
            return None
        return (*versions, language, environ.get("SCRIPT_NAME", ""), environ["PATH_INFO"],
                environ.get("HTTP_HOST", ""), environ["wsgi.url_scheme"])

    def _language(self, header: str | None) -> str | None:
        """The page's language when the only cookie is the language's (select_locale reads
        it the same way); None when there is another cookie."""
        if not header:
            return "id"
        if any(part.split("=", 1)[0].strip() != "lang" for part in header.split(";")
               if part.strip()):
            return None
        return "en" if parse_cookie(header).get("lang") == "en" else "id"

    def _responses(self) -> ProcessCache:
        """The kept responses: among the app's other per-process caches (app.extensions),
        forgotten with them."""
        caches = self.app.extensions
        found = caches.get(CACHE)
        if found is None:
            found = caches.setdefault(CACHE, ProcessCache(SIZE))
        return found

    def _postgresql(self):
        """The app's engine when it is PostgreSQL's, else None."""
        if self._engine is None:
            from ..extensions import db

            with self.app.app_context():
                self._engine = db.engine
        return self._engine if self._engine.dialect.name == "postgresql" else None

    def _answer_and_keep(self, environ: dict, start_response: Callable):
        """The app's answer, kept when the view said it is alike for all and nothing of the
        visitor's (a cookie, a script nonce) is in it: under the versions the view rendered
        it from (a change committed since the front's read makes a key of its own)."""
        seen = []

        def remember(status, headers, exc_info=None):
            seen.append((status, headers))
            return start_response(status, headers, exc_info) if exc_info else \
                start_response(status, headers)

        answer = self.inner(environ, remember)
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        versions = environ.get(ALIKE_FOR_ALL)
        if versions and seen and not _visitors_own(seen[-1]):
            status, headers = seen[-1]
            self._responses().put((*versions, *environ[KEY_REST]),
                                  (status, tuple(headers), body))
        return [body]


def _visitors_own(answer: tuple) -> bool:
    """Whether a response carries something of one visitor's, or is no page to keep."""
    status, headers = answer
    if not status.startswith("200 "):
        return True
    for name, value in headers:
        low = name.lower()
        if low == "set-cookie" or (low == "content-security-policy" and "'nonce-" in value):
            return True
    return False
