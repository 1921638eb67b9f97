"""Reading outbox rows in tests: the text a row will carry when it is sent."""

from __future__ import annotations

from sqlalchemy import select

from shop.extensions import db
from shop.models import Notification
from shop.services.notifications import render_notification


def text_of(row: Notification) -> str:
    """The body of an outbox row as it would go out now (rendered from its template)."""
    return render_notification(row)[1]


def texts(**where) -> list[str]:
    """The rendered bodies of the outbox rows matching `where` (column=value), in order."""
    query = select(Notification).filter_by(**where).order_by(Notification.id)
    return [text_of(row) for row in db.session.scalars(query)]
