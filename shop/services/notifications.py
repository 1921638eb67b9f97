"""The outbox: messages written in the same transaction as the change that causes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert

from ..extensions import db
from ..models import Notification, NotificationChannel, NotificationStatus

NOTIFICATION_INSERT = insert(Notification.__table__)


@dataclass(frozen=True)
class Message:
    """A message to queue: to whom, which template, the rendered text."""

    recipient: str
    template: str
    body: str


def outbox_rows(
    messages: Sequence[Message], *, store_id: int | None, order_id: str | None, now: datetime
) -> list[dict]:
    """The outbox rows for these messages, queued to be sent now."""
    return [
        {
            "store_id": store_id, "order_id": order_id,
            "channel": NotificationChannel.WHATSAPP.value,
            "recipient": m.recipient, "template": m.template, "body": m.body,
            "status": NotificationStatus.QUEUED.value, "attempts": 0,
            "last_error": None, "next_attempt_at": now, "created_at": now, "sent_at": None,
        }
        for m in messages
    ]


def queue_messages(
    messages: Sequence[Message], *, store_id: int | None, order_id: str | None, now: datetime
) -> None:
    """Write outbox rows (one statement); delivery is a job enqueued after the commit."""
    if messages:
        db.session.connection().execute(
            NOTIFICATION_INSERT,
            outbox_rows(messages, store_id=store_id, order_id=order_id, now=now),
        )
