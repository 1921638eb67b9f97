"""What the catalog, store, dealer and user views share when they save: run one operation
and commit (or roll back and show the refusal, on its fields where the form has them), and
the admin's stores as a form's choices."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, g

from ...errors import ShopError
from ...extensions import db
from ...services import crm
from ...unit_of_work import commit
from .base import current_scope


def run(operation: Callable, success: Callable[[object], str]):
    """Run one operation: commit and flash its success, or roll back and flash the refusal.
    Returns the operation's result, or None when it was refused."""
    try:
        result = operation()
    except ShopError as error:
        db.session.rollback()
        flash(error.message, "error")
        return None
    commit()
    flash(success(result), "success")
    return result


def refused(form, error: ShopError, aliases: dict | None = None) -> bool:
    """Roll back, and show the refusal on its fields (or as a message). Returns False."""
    db.session.rollback()
    shown = False
    for name, message in error.fields.items():
        name = (aliases or {}).get(name, name)
        if name in form:
            form[name].errors = [*form[name].errors, message]
            shown = True
    flash(error.message if not shown else "Periksa kembali isian yang ditandai.", "error")
    return False


def store_names() -> dict[int, str]:
    """The admin's stores (every store for a super admin) by id, read once per request (the
    scope is new in each request, so the names are never those of an earlier one)."""
    scope = current_scope()
    cached = g.get("admin_store_names")
    if cached is None or cached[0] is not scope:
        cached = g.admin_store_names = (scope, {s.id: s.name for s in crm.scope_stores(scope)})
    return cached[1]


def offer_stores(form, field: str = "store_id"):
    """The admin's stores as the form's choices; the only one is chosen when not posted."""
    form[field].choices = list(store_names().items())
    if form[field].data is None and len(form[field].choices) == 1:
        form[field].data = form[field].choices[0][0]
    return form


def digits_id(value) -> str | None:
    """A row id from a URL or form as digits, or None (a guessed "abc" must not reach the
    database: PostgreSQL would refuse it with a 500)."""
    text = str(value or "")
    return text if text.isascii() and text.isdigit() and len(text) < 10 else None

