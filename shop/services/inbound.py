"""Incoming WhatsApp messages (issue 13, item 1): each provider message id is handled once,
its `!command` answered by chat_commands.handle_message, the replies queued in the outbox.

`receive_message` is an operation: it flushes, the webhook commits, so the row that marks
the message handled and the replies are written together or not at all.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..errors import InvalidInput
from ..extensions import db
from ..models import InboundMessage, Store
from .chat_commands import handle_message
from .chat_format import chat_locale
from .notifications import Message, queue_messages
from .phones import normalize_phone

log = logging.getLogger(__name__)

#: The outbox template whose body is the reply's own text.
REPLY_TEMPLATE = "chat_reply"
MAX_MESSAGE_ID = 200


def store_of_number(number: str | None) -> Store | None:
    """The active store whose WhatsApp number this is; None for no number, an unknown one,
    or a number several stores give (nobody can tell which one was meant)."""
    try:
        phone = normalize_phone(number, mobile=False)  # a store's number may be a landline
    except InvalidInput:
        return None
    stores = db.session.scalars(select(Store).where(
        Store.whatsapp == phone, Store.is_active.is_(True)).limit(2)).all()
    return stores[0] if len(stores) == 1 else None


def receive_message(store: Store, *, message_id: str, sender: str, text: str | None,
                    sender_name: str | None = None) -> int:
    """Handle one incoming message once: the number of replies queued (0 for a message id
    seen before, text that is no command, or a sender that is no phone number); the
    sender's profile name, if the provider gives one, names a new customer. Flushes."""
    message_id = (message_id or "").strip()
    if not message_id or len(message_id) > MAX_MESSAGE_ID:
        raise InvalidInput("Pesan tanpa id yang sah.", fields={"id": "Wajib diisi."})
    if db.session.scalar(select(InboundMessage.id).where(
            InboundMessage.provider_message_id == message_id)) is not None:
        return 0
    try:  # it came over WhatsApp: a WhatsApp Business landline is a sender too
        phone = normalize_phone(sender, mobile=False)
    except InvalidInput:
        phone = None
    now = clock.now()
    try:
        with db.session.begin_nested():  # a delivery racing this one: one of them wins
            db.session.add(InboundMessage(provider_message_id=message_id, store_id=store.id,
                                          sender=(phone or str(sender or ""))[:40],
                                          received_at=now))
    except IntegrityError:
        return 0
    if phone is None:
        log.info("whatsapp message %s from %r: no phone number, not answered",
                 message_id, sender)
        return 0
    locale = chat_locale(current_app.config.get("BABEL_DEFAULT_LOCALE"))
    replies = handle_message(store, phone, text, locale=locale, sender_name=sender_name)
    messages = [Message(phone, REPLY_TEMPLATE, {"body": reply}, locale=locale)
                for reply in replies]
    queue_messages(messages, store_id=store.id, order_id=None, now=now)
    return len(messages)
