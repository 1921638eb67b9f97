"""Inbound WhatsApp (issue 13, item 1): `POST /api/whatsapp/webhook` takes the generic
gateway's message (`{"from", "text", "id", "to", "name"}` with `Authorization: Bearer
WHATSAPP_WEBHOOK_TOKEN`) and the WhatsApp Cloud API's webhook (signed with
`X-Hub-Signature-256`, the app secret; `GET` is its verification handshake). The view
authenticates and parses; shop.services.inbound handles each message once and queues the
replies; the view commits.

The store is the one whose WhatsApp number the message was sent to ("to", or the Cloud
API's display_phone_number); a message for no known store is logged and ignored (200), so
the gateway does not deliver it again and again. The sender's profile name ("name", or the
Cloud API's contacts[].profile.name) names a new customer who orders by `!order`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from flask import Blueprint, current_app, jsonify, request
from pydantic import Field, RootModel

from ..errors import BadRequest, NotAllowed, NotSignedIn
from ..portal.auth import bearer_token
from ..services.inbound import receive_message, store_of_number
from ..unit_of_work import commit
from .schema import Schema, documented

bp = Blueprint("whatsapp", __name__, url_prefix="/api/whatsapp")
log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
NOT_CONFIGURED = "Webhook WhatsApp belum dikonfigurasi."
WRONG_CREDENTIALS = "Token atau tanda tangan webhook salah."
NO_CREDENTIALS = "Webhook butuh Authorization: Bearer atau X-Hub-Signature-256."


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison of two secrets (any characters)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


class GatewayMessage(Schema):
    """The generic gateway's message (with Authorization: Bearer WHATSAPP_WEBHOOK_TOKEN)."""

    id: str | int = Field(description="The provider's message id; each is handled once.")
    from_: str = Field(alias="from", description="The sender's WhatsApp number.")
    text: str | None = None
    to: str | None = Field(None, description="The store's WhatsApp number it was sent to.")
    name: str | None = Field(None, description="The sender's WhatsApp profile name: names "
                                               "a new customer who orders by !order.")


class CloudWebhook(Schema):
    """The WhatsApp Cloud API's webhook (signed with X-Hub-Signature-256): its text
    messages are handled, statuses and other message types skipped."""

    object: str | None = None
    entry: list[dict] | None = Field(
        None, description="entry[].changes[].value.{metadata.display_phone_number, "
                          "messages[] of type text}.")


class WebhookBody(RootModel[GatewayMessage | CloudWebhook]):
    """The gateway's message or the Cloud API's webhook."""


class WebhookAnswer(Schema):
    """How many new messages were handled (a redelivered one counts 0)."""

    success: bool
    handled: int = Field(ge=0)


class HandshakeQuery(Schema):
    mode: str | None = Field(None, alias="hub.mode", description='"subscribe".')
    verify_token: str | None = Field(None, alias="hub.verify_token",
                                     description="WHATSAPP_VERIFY_TOKEN.")
    challenge: str | None = Field(None, alias="hub.challenge", description="Echoed back.")


class Challenge(RootModel[str]):
    """hub.challenge, as text/plain."""


@bp.after_request
def not_stored(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(NotSignedIn)
def not_signed_in(error: NotSignedIn):
    return jsonify(error.to_json()), 401, {"WWW-Authenticate": 'Bearer realm="whatsapp"'}


@bp.get("/webhook")
@documented(answer=Challenge, query=HandshakeQuery, errors=(403,), content_type="text/plain")
def verify():
    """The Cloud API's handshake: echo hub.challenge when hub.verify_token is ours."""
    expected = current_app.config["WHATSAPP_VERIFY_TOKEN"]
    given = request.args.get("hub.verify_token", "")
    if not expected or request.args.get("hub.mode") != "subscribe" or not _same(expected, given):
        raise NotAllowed(WRONG_CREDENTIALS)
    return request.args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain"}


@bp.post("/webhook")
@documented(answer=WebhookAnswer, body=WebhookBody, security="webhookToken",
            errors=(400, 401, 403))
def webhook():
    """A gateway's message or the Cloud API's webhook: each new text message is answered."""
    raw = request.get_data(cache=True)
    config = current_app.config
    signature, token = request.headers.get(SIGNATURE_HEADER), bearer_token()
    if signature is not None:
        secret = config["WHATSAPP_APP_SECRET"]
        if not secret:
            raise NotAllowed(NOT_CONFIGURED)
        scheme, _, given = signature.partition("=")
        expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        if scheme != "sha256" or not _same(expected, given.strip().lower()):
            raise NotAllowed(WRONG_CREDENTIALS)
        messages = cloud_messages(_json(raw))
    elif token is not None:
        expected = config["WHATSAPP_WEBHOOK_TOKEN"]
        if not expected:
            raise NotAllowed(NOT_CONFIGURED)
        if not _same(expected, token):
            raise NotAllowed(WRONG_CREDENTIALS)
        messages = [generic_message(_json(raw))]
    elif not (config["WHATSAPP_WEBHOOK_TOKEN"] or config["WHATSAPP_APP_SECRET"]):
        raise NotAllowed(NOT_CONFIGURED)
    else:
        raise NotSignedIn(NO_CREDENTIALS)
    handled = 0
    for to, message_id, sender, text, name in messages:
        store = store_of_number(to)
        if store is None:
            log.info("whatsapp message %s to %r: no store has this number, ignored",
                     message_id, to)
            continue
        handled += receive_message(store, message_id=message_id, sender=sender, text=text,
                                   sender_name=name)
    commit()
    return jsonify({"success": True, "handled": handled})


def _json(raw: bytes):
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Body harus berupa JSON.") from None


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


Incoming = tuple[str | None, str, str, str | None, str | None]


def generic_message(body) -> Incoming:
    """(to, id, from, text, name) of the generic gateway's message. Raises BadRequest."""
    if not isinstance(body, dict):
        raise BadRequest("Body harus berupa objek JSON.")
    message_id, sender = body.get("id"), body.get("from")
    if isinstance(message_id, int) and not isinstance(message_id, bool):
        message_id = str(message_id)
    if not _text(message_id) or not message_id.strip() or len(message_id) > 200 \
            or not _text(sender):
        raise BadRequest("Pesan butuh id dan from.")
    return (_text(body.get("to")), message_id, sender, _text(body.get("text")),
            _text(body.get("name")))


def cloud_messages(body) -> list[Incoming]:
    """(to, id, from, text, name) of each text message of a Cloud API webhook; statuses,
    other message types and malformed parts are skipped. Raises BadRequest for no JSON
    object."""
    if not isinstance(body, dict):
        raise BadRequest("Body harus berupa objek JSON.")
    found = []
    for entry in _list(body.get("entry")):
        for change in _list(entry.get("changes") if isinstance(entry, dict) else None):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            to = _text(metadata.get("display_phone_number")) \
                if isinstance(metadata, dict) else None
            names = profile_names(value.get("contacts"))
            for message in _list(value.get("messages")):
                if not isinstance(message, dict) or message.get("type") != "text":
                    continue
                text = message.get("text")
                message_id, sender = _text(message.get("id")), _text(message.get("from"))
                if not message_id or len(message_id) > 200 or not sender \
                        or not isinstance(text, dict):
                    continue
                found.append((to, message_id, sender, _text(text.get("body")),
                              names.get(sender)))
    return found


def profile_names(contacts) -> dict[str, str]:
    """wa_id -> the sender's WhatsApp profile name, from a Cloud API change's contacts."""
    names = {}
    for contact in _list(contacts):
        profile = contact.get("profile") if isinstance(contact, dict) else None
        wa_id = _text(contact.get("wa_id")) if isinstance(contact, dict) else None
        name = _text(profile.get("name")) if isinstance(profile, dict) else None
        if wa_id and name:
            names[wa_id] = name
    return names


def _list(value) -> list:
    return value if isinstance(value, list) else []
