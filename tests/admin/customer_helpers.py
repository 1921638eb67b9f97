"""Helpers shared by the customer view and API tests."""

from __future__ import annotations

import re

from flask import g


def signed_in(login_as, role: str = "admin", stores=None):
    """conftest's login_as(role, stores), as a client that never shares its signed-in user.

    The test's app context outlives each request, and with it `g`, where Flask-Login keeps
    the loaded user (`_login_user`) and base.current_scope its scope (`admin_scope`): a second
    client in the same test would act as the first one's admin. (Reported to the lead: a
    teardown_request that pops both, like csp_nonce's, makes this wrapper unnecessary.)
    """

    def forget():
        for name in ("_login_user", "admin_scope"):
            g.pop(name, None)

    forget()
    client = login_as(role, stores)
    send = client.open

    def open_fresh(*args, **kwargs):
        forget()
        return send(*args, **kwargs)

    client.open = open_fresh
    return client


def csrf_of(client, path: str = "/admin/customer/") -> str:
    """The CSRF token of an admin page's <meta name="csrf-token">."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
