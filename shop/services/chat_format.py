"""Orders and products written for a chat (WhatsApp text: *bold*, line breaks), the one way
every chat front end shows them (issue 13): Indonesian by default, English by `locale`.

Labels come from shop.services.labels (Indonesian) and their English twins below, chosen by
locale here, like the message templates do, so a chat reply never depends on a request's
language. Text a shopper typed (a name) is flattened before it is shown; an admin reads
customers' phone numbers masked (0812****7890), in an order, a list and its history alike.
A MONTHLY product (seed 001's server packages) is priced per month and its lines count
months ("3 bulan").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..extensions import db
from ..models import (
    Billing,
    EventKind,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Product,
    Shipment,
    Store,
)
from .labels import ORDER_STATUS_LABELS, PAYMENT_METHODS, PAYMENT_STATUS_LABELS
from .money import format_rupiah
from .phones import mask_phone
from .shipping import CARRIER_LABELS, carrier_tracking_url

LOCALES = ("id", "en")
#: WhatsApp refuses longer texts; longer replies are split (see split_message).
MAX_MESSAGE = 4096

ORDER_STATUS_EN = {
    OrderStatus.PENDING: "Awaiting confirmation",
    OrderStatus.CONFIRMED: "Confirmed",
    OrderStatus.PROCESSING: "Processing",
    OrderStatus.SHIPPED: "Shipped",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.COMPLETED: "Completed",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.REJECTED: "Rejected",
    OrderStatus.REFUNDED: "Refunded",
}
PAYMENT_STATUS_EN = {
    PaymentStatus.PENDING: "Awaiting payment",
    PaymentStatus.AWAITING_CONFIRMATION: "Payment being verified",
    PaymentStatus.PAID: "Paid",
    PaymentStatus.FAILED: "Payment failed",
    PaymentStatus.REFUNDED: "Refunded",
}
PAYMENT_METHODS_EN = {
    PaymentMethod.BANK_TRANSFER: "Bank transfer",
    PaymentMethod.E_WALLET: "E-wallet (GoPay, OVO, ShopeePay)",
    PaymentMethod.COD: "Cash on delivery (COD)",
    PaymentMethod.CREDIT_CARD: "Credit card",
}

#: The words of the chat texts, per locale.
WORDS = {
    "id": {
        "order": "Pesanan", "date": "Tanggal", "status": "Status", "items": "Item",
        "subtotal": "Subtotal", "discount": "Diskon", "shipping_fee": "Ongkir",
        "total": "Total", "payment": "Pembayaran", "shipment": "Pengiriman",
        "tracking": "resi", "customer": "Pelanggan", "no_shipment": "Belum dikirim",
        "no_method": "Belum dipilih", "sold_out": "Habis", "in_stock": "stok {n}",
        "price": "Harga", "code": "Kode", "category": "Kategori", "catalog": "Katalog",
        "empty_catalog": "Belum ada produk.",
        "months": "{n} bulan", "per_month": "/bulan", "reference": "Referensi",
        "history": "Riwayat", "created": "Dibuat", "by_customer": "pelanggan",
    },
    "en": {
        "order": "Order", "date": "Date", "status": "Status", "items": "Items",
        "subtotal": "Subtotal", "discount": "Discount", "shipping_fee": "Shipping",
        "total": "Total", "payment": "Payment", "shipment": "Shipment",
        "tracking": "tracking no.", "customer": "Customer", "no_shipment": "Not shipped yet",
        "no_method": "Not chosen yet", "sold_out": "Sold out", "in_stock": "{n} in stock",
        "price": "Price", "code": "Code", "category": "Category", "catalog": "Catalog",
        "empty_catalog": "No products yet.",
        "months": "{n} months", "per_month": "/month", "reference": "Reference",
        "history": "History", "created": "Placed", "by_customer": "customer",
    },
}

_CONTROL = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
#: WhatsApp's bold, italics, strike and monospace markers.
_FORMATTING = re.compile(r"[*_~`]")


def chat_locale(locale: str | None) -> str:
    """'en' for English, 'id' (the store's language) for anything else."""
    return "en" if (locale or "").lower().startswith("en") else "id"


def words(locale: str | None) -> dict[str, str]:
    return WORDS[chat_locale(locale)]


def plain(value, *, limit: int = 200) -> str:
    """Text to show inside a chat reply: one line, no control characters, no WhatsApp
    formatting of its own, bounded."""
    text = " ".join(_CONTROL.sub(" ", str(value or "")).split())
    text = _FORMATTING.sub("", text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def status_label(status: OrderStatus | str, locale: str | None = "id") -> str:
    status = OrderStatus(status)
    if chat_locale(locale) == "en":
        return ORDER_STATUS_EN[status]
    return ORDER_STATUS_LABELS[status]


def payment_status_label(status: PaymentStatus | str, locale: str | None = "id") -> str:
    status = PaymentStatus(status)
    if chat_locale(locale) == "en":
        return PAYMENT_STATUS_EN[status]
    return PAYMENT_STATUS_LABELS[status]


def payment_method_text(method: str | None, store: Store | None = None,
                        locale: str | None = "id") -> str:
    """'Transfer Bank BCA' / 'Bank transfer BCA'; '' when no method was chosen."""
    if not method:
        return ""
    table = PAYMENT_METHODS_EN if chat_locale(locale) == "en" else PAYMENT_METHODS
    try:
        label = table.get(PaymentMethod(method), method)
    except ValueError:
        label = str(method)
    if method == PaymentMethod.BANK_TRANSFER and store is not None and store.bank_accounts:
        label += " " + "/".join(plain(acc.get("bank", ""), limit=30)
                                for acc in store.bank_accounts)
    return label


def local_datetime(order: Order, store: Store | None = None) -> str:
    """When the order was placed, in the store's time zone: 27/01/2024 14:30."""
    return local_time(order.created_at, store or order.store)


def local_time(moment: datetime, store: Store) -> str:
    """A moment in the store's time zone: 27/01/2024 14:30."""
    zone = ZoneInfo(store.timezone or "Asia/Jakarta")
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def months_text(months: int, locale: str | None = "id") -> str:
    """'3 bulan' / '3 months': the quantity of a MONTHLY product's line."""
    return words(locale)["months"].format(n=months)


def monthly_product_ids(items: Iterable[OrderItem]) -> set[int]:
    """Which of the lines' products are billed per month (one statement)."""
    ids = {item.product_id for item in items if item.product_id is not None}
    if not ids:
        return set()
    return set(db.session.scalars(select(Product.id).where(
        Product.id.in_(sorted(ids)), Product.billing == Billing.MONTHLY)))


def item_text(item: OrderItem, monthly: set[int], locale: str | None = "id") -> str:
    """'• Burger Cheese x2 = Rp 50.000'; a MONTHLY line '• BRONZE 3 bulan = Rp 75.000'."""
    amount = months_text(item.qty, locale) if item.product_id in monthly else f"x{item.qty}"
    return f"• {plain(item.name, limit=120)} {amount} = {format_rupiah(item.subtotal)}"


def shipments_of(order: Order) -> list[Shipment]:
    return list(db.session.scalars(
        select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)))


def shipment_text(shipment: Shipment, locale: str | None = "id") -> str:
    """'JNE, resi JNE123456789: https://...' (no link for a carrier without a page)."""
    w = words(locale)
    text = f"{CARRIER_LABELS[shipment.carrier]}, {w['tracking']} {shipment.tracking_number}"
    link = carrier_tracking_url(shipment.carrier, shipment.tracking_number)
    return f"{text}: {link}" if link else text


def format_order(order: Order, *, locale: str | None = "id", admin: bool = False,
                 shipments: Iterable[Shipment] | None = None) -> str:
    """The whole order for a chat: number, date, status, items, totals, payment and
    shipment; `admin` adds the customer's name and masked phone."""
    w = words(locale)
    store = order.store
    lines = [
        f"*{w['order']} #{order.number}*",
        f"{w['date']}: {local_datetime(order, store)}",
        f"{w['status']}: *{status_label(order.status, locale)}*",
    ]
    if admin:
        who = plain(order.recipient_name, limit=80)
        phone = mask_phone(order.recipient_phone) if order.recipient_phone else ""
        lines.append(f"{w['customer']}: {who} ({phone})" if phone else f"{w['customer']}: {who}")
    lines += ["", f"*{w['items']}:*"]
    monthly = monthly_product_ids(order.items)
    lines += [item_text(item, monthly, locale) for item in order.items]
    lines.append("")
    if order.discount or order.shipping_fee:
        lines.append(f"{w['subtotal']}: {format_rupiah(order.subtotal)}")
        if order.discount:
            lines.append(f"{w['discount']}: -{format_rupiah(order.discount)}")
        if order.shipping_fee:
            lines.append(f"{w['shipping_fee']}: {format_rupiah(order.shipping_fee)}")
    lines.append(f"*{w['total']}: {format_rupiah(order.total)}*")
    method = payment_method_text(order.payment_method, store, locale) or w["no_method"]
    lines.append(f"{w['payment']}: {method} ({payment_status_label(order.payment_status, locale)})")
    lines += _delivery_lines(order, monthly, shipments, locale)
    return "\n".join(lines)


def _delivery_lines(order: Order, monthly: set[int], shipments: Iterable[Shipment] | None,
                    locale: str | None) -> list[str]:
    """The order's parcels (or that none left yet) and what the store delivered."""
    w = words(locale)
    parcels = list(shipments) if shipments is not None else shipments_of(order)
    lines = [f"{w['shipment']}: {shipment_text(parcel, locale)}" for parcel in parcels]
    if not parcels and not all(item.product_id in monthly for item in order.items):
        lines.append(f"{w['shipment']}: {w['no_shipment']}")  # a subscription ships nothing
    if order.reference:
        lines.append(f"{w['reference']}: {plain(order.reference, limit=100)}")
    return lines


def format_order_line(order: Order, *, locale: str | None = "id", admin: bool = False) -> str:
    """One order in a list: '• *ORD-20240127-001* 27/01/2024 14:30 - Selesai - Rp 65.000';
    `admin` adds the customer's name and masked phone."""
    line = (f"• *{order.number}* {local_datetime(order)} - {status_label(order.status, locale)}"
            f" - {format_rupiah(order.total)}")
    if admin:
        line += f" - {plain(order.recipient_name, limit=60)}"
        if order.recipient_phone:
            line += f" ({mask_phone(order.recipient_phone)})"
    return line


def actor_text(actor: str | None, locale: str | None = "id") -> str:
    """Who did it, for an admin: a WhatsApp sender's number masked, the rest as recorded."""
    actor = actor or "system"
    if actor == "customer":
        return words(locale)["by_customer"]
    kind, _, who = actor.partition(":")
    if kind == "whatsapp" and who.isdigit():
        return f"WhatsApp {mask_phone(who)}"
    return plain(actor, limit=80)


def event_text(event: OrderEvent, store: Store, locale: str | None = "id") -> str | None:
    """One line of an order's status history; None for an event that is no step of it."""
    w = words(locale)
    if event.kind == EventKind.CREATED:
        what = w["created"]
    elif event.kind == EventKind.STATUS and event.to_status:
        what = status_label(event.to_status, locale)
    elif event.kind == EventKind.PAYMENT and event.to_status:
        what = f"{w['payment']}: {payment_status_label(event.to_status, locale)}"
    else:
        return None
    line = f"• {local_time(event.created_at, store)} {what} ({actor_text(event.actor, locale)})"
    return f"{line}: {plain(event.note, limit=150)}" if event.note else line


def format_history(order: Order, *, locale: str | None = "id") -> str:
    """The order's status history for an admin, oldest first, from its events."""
    events = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                .order_by(OrderEvent.created_at, OrderEvent.id))
    lines = [f"*{words(locale)['history']}:*"]
    lines += [text for event in events
              if (text := event_text(event, order.store, locale)) is not None]
    return "\n".join(lines)


def stock_text(product: Product, locale: str | None = "id") -> str:
    """'' for a made-to-order product, 'Habis' / 'stok 12' for one that keeps stock."""
    if product.stock is None:
        return ""
    w = words(locale)
    return w["sold_out"] if product.stock <= 0 else w["in_stock"].format(n=product.stock)


def price_text(product: Product, locale: str | None = "id") -> str:
    """'Rp 25.000', or 'Rp 25.000/bulan' for a product billed per month."""
    per = words(locale)["per_month"] if product.billing == Billing.MONTHLY else ""
    return format_rupiah(product.price) + per


def format_product_line(product: Product, *, locale: str | None = "id") -> str:
    """One product of the catalog: '• *Burger Cheese* (BRG-CHEESE) - Rp 25.000'."""
    text = (f"• *{plain(product.name, limit=120)}* ({product.code}) - "
            f"{price_text(product, locale)}")
    stock = stock_text(product, locale)
    return f"{text} ({stock})" if stock else text


def format_product(product: Product, *, locale: str | None = "id") -> str:
    """One product in full: name, code, price, category, description, attributes, stock."""
    w = words(locale)
    lines = [f"*{plain(product.name, limit=120)}*", f"{w['code']}: {product.code}",
             f"{w['price']}: *{price_text(product, locale)}*"]
    if product.category:
        lines.append(f"{w['category']}: {plain(product.category, limit=50)}")
    for key, value in (product.attributes or {}).items():
        lines.append(f"{plain(key, limit=50)}: {plain(value, limit=100)}")
    stock = stock_text(product, locale)
    if stock:
        lines.append(stock[0].upper() + stock[1:])
    if product.description:
        lines += ["", plain(product.description, limit=500)]
    return "\n".join(lines)


def format_catalog(store: Store, products: Iterable[Product], *,
                   locale: str | None = "id") -> str:
    """The store's catalog, grouped by category in the given order of the products."""
    w = words(locale)
    lines = [f"*{w['catalog']} {plain(store.name, limit=120)}*"]
    category = object()
    shown = False
    for product in products:
        if product.category != category:
            category = product.category
            lines += ["", f"*{plain(category, limit=50)}*"] if category else [""]
        lines.append(format_product_line(product, locale=locale))
        shown = True
    if not shown:
        lines += ["", w["empty_catalog"]]
    return "\n".join(lines)


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """A reply cut at line breaks into texts WhatsApp accepts (a longer line is cut)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts
