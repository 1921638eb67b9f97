"""Where messages leave the shop: WhatsApp through the configured provider, email by SMTP.

Every call has a timeout. A failure says whether trying again later may help (timeouts,
connection errors, 429 and 5xx answers, SMTP's 4xx) or not (other 4xx answers, SMTP's 5xx).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

import requests

log = logging.getLogger("shop.messages")
WHATSAPP_PROVIDERS = ("log", "http", "cloudapi")
#: (connect, read) seconds for every gateway call.
HTTP_TIMEOUT = (3.05, 10)
SMTP_TIMEOUT = 10
_local = threading.local()


class SendError(Exception):
    """A message could not be sent; `retry` says whether a later attempt may succeed."""

    def __init__(self, message: str, *, retry: bool):
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Sent:
    """What the provider answered: its id for the message, if it gave one."""

    message_id: str | None


def _session() -> requests.Session:
    """One HTTP session per thread, so that a worker reuses its connection to the gateway."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        # No proxy or .netrc look-up on every call: the gateway's address is configured.
        session.trust_env = False
    return session


def send_whatsapp(config: dict, phone: str, text: str, *, reference: str) -> Sent:
    """Send one WhatsApp text through WHATSAPP_PROVIDER. Raises SendError."""
    provider = config.get("WHATSAPP_PROVIDER") or "log"
    if provider == "log":
        log.info("WhatsApp to %s (%s):\n%s", phone, reference, text)
        return Sent(f"log-{reference}")
    if provider == "http":
        return _post(config["WHATSAPP_GATEWAY_URL"], config.get("WHATSAPP_GATEWAY_TOKEN"),
                     {"phone": phone, "message": text}, _generic_id)
    if provider == "cloudapi":
        url = (f"{config['WHATSAPP_CLOUD_API_URL'].rstrip('/')}/"
               f"{config['WHATSAPP_CLOUD_PHONE_NUMBER_ID']}/messages")
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual",
                   "to": phone, "type": "text", "text": {"preview_url": False, "body": text}}
        return _post(url, config.get("WHATSAPP_GATEWAY_TOKEN"), payload, _cloud_id)
    raise SendError(f"unknown WHATSAPP_PROVIDER {provider!r}", retry=False)


def _generic_id(answer) -> str | None:
    if isinstance(answer, dict):
        value = answer.get("id") or answer.get("message_id")
        return str(value) if value is not None else None
    return None


def _cloud_id(answer) -> str | None:
    try:
        return str(answer["messages"][0]["id"])
    except (KeyError, IndexError, TypeError):
        return None


def _post(url: str, token: str | None, payload: dict, read_id) -> Sent:
    if not url:
        raise SendError("the WhatsApp gateway's URL is not set", retry=False)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        answer = _session().post(url, json=payload, headers=headers, timeout=HTTP_TIMEOUT)
    except requests.Timeout:
        raise SendError("the gateway did not answer in time", retry=True) from None
    except requests.RequestException as error:
        raise SendError(f"cannot reach the gateway: {type(error).__name__}", retry=True) from None
    if 200 <= answer.status_code < 300:
        try:
            body = answer.json()
        except ValueError:
            body = None
        return Sent(read_id(body))
    detail = f"the gateway answered {answer.status_code}: {answer.text[:200]}"
    raise SendError(detail, retry=answer.status_code == 429 or answer.status_code >= 500)


_MARKUP = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def plain_text(text: str) -> str:
    """A WhatsApp text for an email: *bold* without its stars."""
    return _MARKUP.sub(r"\1", text)


def send_email(config: dict, to: str, subject: str, text: str, *, reference: str) -> Sent:
    """Send one plain-text email through SMTP_URL (smtp://, smtp+starttls:// or smtps://;
    user and password in the URL). Raises SendError."""
    url = config.get("SMTP_URL")
    if not url:
        raise SendError("SMTP_URL is not set", retry=False)
    parts = urlsplit(url)
    message = EmailMessage()
    message["From"] = config.get("SMTP_SENDER") or "shop@localhost"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(idstring=reference.replace(":", "."))
    message.set_content(plain_text(text))
    secure = parts.scheme == "smtps"
    port = parts.port or (465 if secure else 587 if parts.scheme == "smtp+starttls" else 25)
    try:
        client_class = smtplib.SMTP_SSL if secure else smtplib.SMTP
        with client_class(parts.hostname or "localhost", port, timeout=SMTP_TIMEOUT) as client:
            if parts.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        raise SendError(f"the mail server refused {to}: {codes}",
                        retry=all(400 <= c < 500 for c in codes)) from None
    except smtplib.SMTPResponseException as error:
        raise SendError(f"the mail server answered {error.smtp_code}",
                        retry=400 <= error.smtp_code < 500) from None
    except (OSError, smtplib.SMTPException) as error:
        raise SendError(f"cannot reach the mail server: {type(error).__name__}",
                        retry=True) from None
    return Sent(message["Message-ID"])
