"""The admin's "Notify customer" (seed 000): a click-to-chat link carrying the order's current
status, which needs no WhatsApp gateway (the admin's own WhatsApp sends it)."""

from __future__ import annotations

from ..models import Order, Shipment
from .labels import ORDER_STATUS_LABELS, PAYMENT_STATUS_LABELS
from .messages import whatsapp_link
from .money import format_rupiah
from .shipping import CARRIER_LABELS, carrier_tracking_url


def order_notice_text(order: Order, tracking_url: str, *,
                      shipment: Shipment | None = None) -> str:
    """The customer's message: status, payment, total, the parcel if any, the tracking link."""
    lines = [
        f"Halo {order.recipient_name},", "",
        f"📦 Pesanan #{order.number}",
        f"Status: *{ORDER_STATUS_LABELS[order.status]}*",
        f"Pembayaran: *{PAYMENT_STATUS_LABELS[order.payment_status]}*",
        f"Total: {format_rupiah(order.total)}",
    ]
    if shipment is not None:
        lines.append(f"Kurir: {CARRIER_LABELS[shipment.carrier]}, resi {shipment.tracking_number}")
        link = carrier_tracking_url(shipment.carrier, shipment.tracking_number)
        if link:
            lines.append(f"Lacak paket: {link}")
    lines += ["", f"Lacak pesanan: {tracking_url}"]
    return "\n".join(lines)


def order_notice_link(order: Order, tracking_url: str, *,
                      shipment: Shipment | None = None) -> str:
    """https://wa.me/<the recipient's phone>?text=<order_notice_text>."""
    return whatsapp_link(order.recipient_phone,
                         order_notice_text(order, tracking_url, shipment=shipment))
