"""Click-to-chat links and their texts (the notifications' texts are templates: see
shop/services/message_templates.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol
from urllib.parse import quote

from ..template_i18n import gettext as _
from .money import format_rupiah
from .phones import local_phone


class OrderLine(Protocol):
    qty: int
    name: str
    subtotal: Decimal


def store_question_text(store_name: str, number: str) -> str:
    """What the shopper's chat to the store starts with, from the tracking page."""
    return _("Halo %(store)s, saya mau tanya pesanan #%(number)s.", store=store_name,
             number=number)


def shopper_order_text(order, *, store_name: str, items: list[OrderLine], address: str,
                       payment_label: str, tracking_url: str) -> str:
    """What the shopper sends the store right after ordering, in their own voice and the
    page's language: the order, its total, where it goes, how it is paid, the tracking link.
    (The store's confirmation to the shopper is another text: seed 000's, in the outbox.)"""
    lines = [_("Halo %(store)s, saya sudah memesan #%(number)s.", store=store_name,
               number=order.number), ""]
    lines += [f"{item.qty}x {item.name} - {format_rupiah(item.subtotal)}" for item in items]
    if order.discount:
        lines.append(_("Diskon: -%(amount)s", amount=format_rupiah(order.discount)))
    if order.shipping_fee_pending:
        lines.append(_("Ongkir: menunggu konfirmasi toko"))
    elif order.courier:
        lines.append(_("Ongkir: %(amount)s", amount=format_rupiah(order.shipping_fee))
                     if order.shipping_fee else _("Ongkir: gratis"))
    lines += [_("Total: %(amount)s", amount=format_rupiah(order.total)), ""]
    lines.append(_("Atas nama: %(name)s (%(phone)s)", name=order.recipient_name,
                   phone=local_phone(order.recipient_phone)))
    if address:
        lines.append(_("Alamat: %(address)s", address=address))
    if order.courier:
        lines.append(_("Kurir: %(courier)s", courier=order.courier))
    if payment_label:
        lines.append(_("Pembayaran: %(method)s", method=payment_label))
    lines += ["", _("Lacak pesanan: %(url)s", url=tracking_url), "",
              _("Mohon dikonfirmasi ya. Terima kasih!")]
    return "\n".join(lines)


def whatsapp_link(phone: str, text: str | None = None) -> str:
    """https://wa.me/<phone>?text=... (click-to-chat)."""
    link = f"https://wa.me/{phone}"
    return f"{link}?text={quote(text, safe='')}" if text else link
