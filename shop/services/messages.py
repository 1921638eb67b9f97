"""Texts of the WhatsApp messages (Indonesian first) and click-to-chat links."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from urllib.parse import quote

from ..models import Store
from .labels import payment_method_label
from .money import format_rupiah
from .phones import local_phone


def order_confirmation_text(
    *, store: Store, number: str, order_id: str, tracking_url: str,
    items: Sequence[tuple[int, str, Decimal]], subtotal: Decimal, discount: Decimal,
    shipping_fee: Decimal, total: Decimal, recipient_name: str, recipient_phone: str,
    address: str | None, courier: str | None, payment_method: str | None, notes: str | None,
) -> str:
    """The customer confirmation of seed 000: items, total, shipping, payment, note, link."""
    lines = [
        "✅ *Pesanan Berhasil Dibuat!*", "",
        f"Nomor Pesanan: #{number}", f"Order ID: {order_id}", "",
        "Track pesanan Anda di:", tracking_url, "", "---", "", "*Detail Pesanan:*",
    ]
    lines += [f"{qty}x {name} - {format_rupiah(amount)}" for qty, name, amount in items]
    lines.append("")
    if discount or shipping_fee:
        lines.append(f"Subtotal: {format_rupiah(subtotal)}")
        if discount:
            lines.append(f"Diskon: -{format_rupiah(discount)}")
        if shipping_fee:
            lines.append(f"Ongkos Kirim: {format_rupiah(shipping_fee)}")
    lines += [f"*Total:* {format_rupiah(total)}", "", "*Informasi Pengiriman:*",
              f"Nama: {recipient_name}", f"No. WhatsApp: {local_phone(recipient_phone)}"]
    if address:
        lines.append(f"Alamat: {address}")
    if courier:
        lines.append(f"Kurir: {courier}")
    if payment_method:
        lines += ["", f"*Pembayaran:* {payment_method_label(payment_method, store)}"]
    if notes:
        lines += ["", f"Catatan: {notes}"]
    lines += ["", "---", "", "Terima kasih sudah berbelanja! 🙏"]
    return "\n".join(lines)


def new_order_admin_text(
    *, store: Store, number: str, recipient_name: str, recipient_phone: str, total: Decimal,
    item_count: int, admin_url: str,
) -> str:
    """The store's alert of a new order (seed 004's 'Order baru' message)."""
    return "\n".join([
        f"🛒 Order baru di {store.name}.",
        f"Order: {number}",
        f"Pelanggan: {recipient_name} ({local_phone(recipient_phone)})",
        f"Item: {item_count}",
        f"Total: {format_rupiah(total)}",
        f"Silakan cek admin panel: {admin_url}",
    ])


def proof_submitted_admin_text(*, store_name: str, number: str, total: Decimal,
                               admin_url: str) -> str:
    """The store's alert that a shopper sent a transfer proof to check."""
    return "\n".join([
        f"💳 Bukti transfer masuk di {store_name}.",
        f"Order: {number}",
        f"Total: {format_rupiah(total)}",
        f"Silakan periksa: {admin_url}",
    ])


def order_status_text(
    *, number: str, status_label: str, tracking_url: str, note: str | None
) -> str:
    """The customer's message when the order's status changes."""
    return _update_text(f"📦 Pesanan #{number}", status_label, tracking_url, note)


def order_payment_text(
    *, number: str, status_label: str, tracking_url: str, note: str | None
) -> str:
    """The customer's message when the payment of an order changes (e.g. confirmed)."""
    return _update_text(f"💳 Pembayaran pesanan #{number}", status_label, tracking_url, note)


def _update_text(title: str, status_label: str, tracking_url: str, note: str | None) -> str:
    lines = [title, f"Status: *{status_label}*"]
    if note:
        lines.append(f"Catatan: {note}")
    lines += ["", f"Lacak pesanan: {tracking_url}"]
    return "\n".join(lines)


def store_question_text(store_name: str, number: str) -> str:
    """What the shopper's chat to the store starts with, from the tracking page."""
    return f"Halo {store_name}, saya mau tanya pesanan #{number}."


def whatsapp_link(phone: str, text: str | None = None) -> str:
    """https://wa.me/<phone>?text=... (click-to-chat)."""
    link = f"https://wa.me/{phone}"
    return f"{link}?text={quote(text, safe='')}" if text else link
