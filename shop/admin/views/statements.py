"""Back-office pages of issue 15 (statements): being built this session."""

from __future__ import annotations

from flask_admin import Admin


def register(admin: Admin) -> None:
    """Add the pages to the back office."""
