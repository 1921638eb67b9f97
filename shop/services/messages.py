"""Click-to-chat links and their texts (the notifications' texts are templates: see
shop/services/message_templates.py)."""

from __future__ import annotations

from urllib.parse import quote


def store_question_text(store_name: str, number: str) -> str:
    """What the shopper's chat to the store starts with, from the tracking page."""
    return f"Halo {store_name}, saya mau tanya pesanan #{number}."


def whatsapp_link(phone: str, text: str | None = None) -> str:
    """https://wa.me/<phone>?text=... (click-to-chat)."""
    link = f"https://wa.me/{phone}"
    return f"{link}?text={quote(text, safe='')}" if text else link
