"""How the order pages show things: badges, the timeline's changes, the CSV export's rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

from ...models import EventKind, OrderEvent, OrderStatus, PaymentStatus
from ...services.csv_export import neutralise
from ...services.labels import (
    CHANNEL_LABELS,
    N_,
    ORDER_STATUS_LABELS,
    PAYMENT_METHODS,
    PAYMENT_STATUS_LABELS,
    STOREFRONT_PAYMENT_METHODS,
)
from ...services.money import format_rupiah, money_json
from ...services.shipping import CARRIER_LABELS

STATUS_BADGES = {
    OrderStatus.PENDING: "warning", OrderStatus.CONFIRMED: "info",
    OrderStatus.PROCESSING: "primary", OrderStatus.SHIPPED: "primary",
    OrderStatus.DELIVERED: "success", OrderStatus.COMPLETED: "success",
    OrderStatus.CANCELLED: "secondary", OrderStatus.REJECTED: "danger",
    OrderStatus.REFUNDED: "dark",
}
PAYMENT_BADGES = {
    PaymentStatus.PENDING: "warning", PaymentStatus.AWAITING_CONFIRMATION: "info",
    PaymentStatus.PAID: "success", PaymentStatus.FAILED: "danger",
    PaymentStatus.REFUNDED: "dark",
}
EVENT_LABELS = {
    EventKind.CREATED: N_("Dibuat"), EventKind.EDITED: N_("Diubah"),
    EventKind.STATUS: N_("Status"), EventKind.PAYMENT: N_("Pembayaran"),
    EventKind.SHIPMENT: N_("Pengiriman"), EventKind.NOTIFICATION: N_("Notifikasi"),
    EventKind.REQUEST: N_("Permintaan"),
}
#: The timeline's names for what an edit changed.
FIELD_LABELS = {
    "items": N_("Item"), "subtotal": N_("Subtotal"), "discount": N_("Diskon"),
    "shipping_fee": N_("Ongkos kirim"), "total": N_("Total"),
    "shipping_address": N_("Alamat"), "courier": N_("Kurir"),
    "shipping_district": N_("Kecamatan"), "shipping_city": N_("Kota/Kabupaten"),
    "shipping_province": N_("Provinsi"), "shipping_postal_code": N_("Kode pos"),
    "shipping_fee_pending": N_("Ongkir menunggu konfirmasi"),
    "payment_method": N_("Metode bayar"), "notes": N_("Catatan"),
    "admin_notes": N_("Catatan admin"), "customer_id": N_("Pelanggan"),
    "recipient_name": N_("Nama penerima"), "recipient_phone": N_("No. WhatsApp"),
    "carrier": N_("Kurir"), "tracking_number": N_("No. resi"),
}
MONEY_FIELDS = frozenset({"subtotal", "discount", "shipping_fee", "total"})

EXPORT_HEADER = ("number", "id", "date", "store", "channel", "customer", "phone", "status",
                 "payment_status", "payment_method", "subtotal", "discount", "shipping_fee",
                 "total")


def _shown(field: str, value) -> str:
    if value is None or value == "":
        return "—"
    if field in MONEY_FIELDS:
        return format_rupiah(value)
    if field == "items" and isinstance(value, dict):
        return ", ".join(f"{code} × {qty}" for code, qty in value.items()) or "—"
    if field == "payment_method":
        return PAYMENT_METHODS.get(value, str(value))
    return str(value)


def event_changes(event: OrderEvent) -> list[tuple[str, str | None, str]]:
    """(label, old, new) for each change an event records; old is None for plain facts."""
    changes = []
    for field, value in (event.data or {}).items():
        label = FIELD_LABELS.get(field, field)
        if isinstance(value, list) and len(value) == 2:
            changes.append((label, _shown(field, value[0]), _shown(field, value[1])))
        else:
            changes.append((label, None, _shown(field, value)))
    return changes


def export_row(row) -> list[str]:
    """One order as the CSV export writes it: dates in the store's time zone, plain money."""
    local = row.created_at.astimezone(ZoneInfo(row.store_timezone))
    return [
        row.number, row.id, f"{local:%Y-%m-%d %H:%M}", row.store_name, row.channel.value,
        row.recipient_name, row.recipient_phone, row.status.value, row.payment_status.value,
        row.payment_method or "", money_json(row.subtotal), money_json(row.discount),
        money_json(row.shipping_fee), money_json(row.total),
    ]


def csv_stream(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """A CSV document in chunks (BOM first, so Excel reads UTF-8), every cell neutralised:
    an export of 200,000 orders never sits in memory whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def template_helpers() -> dict:
    """What every order page's template uses beside the app's globals."""
    return {
        "STATUS_BADGES": STATUS_BADGES, "PAYMENT_BADGES": PAYMENT_BADGES,
        "CHANNEL_LABELS": CHANNEL_LABELS, "EVENT_LABELS": EVENT_LABELS,
        "ORDER_STATUS_LABELS": ORDER_STATUS_LABELS,
        "PAYMENT_STATUS_LABELS": PAYMENT_STATUS_LABELS, "carrier_labels": CARRIER_LABELS,
        "payment_methods": [(m, PAYMENT_METHODS[m]) for m in STOREFRONT_PAYMENT_METHODS],
    }
