"""The back office's message preview: a template text rendered on a real order of the admin's
stores, with the values its delivery would have (or on the template's sample when there is no
order), and the editing of the texts (save, reset to the built-in default).

The values are those the operations write into the outbox row (checkout.order_messages for
the confirmation and the store's alert, the status label for a status change, the parcel for
a shipment), then completed the way delivery completes them (notifications.render_values on
an unsaved row: the order's number and id, links on PUBLIC_BASE_URL).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import TemplateError
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from .. import clock
from ..errors import InvalidInput
from ..extensions import db
from ..models import (
    MessageTemplate,
    Notification,
    NotificationChannel,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentRecordStatus,
    PaymentStatus,
    Shipment,
)
from . import message_templates
from .access import Scope
from .labels import ORDER_STATUS_LABELS, PAYMENT_STATUS_LABELS
from .money import Line, Totals
from .notifications import json_values, render_values, template_text

#: How many of the admin's latest orders the preview offers to pick from.
RECENT_ORDERS = 20
#: Values delivery adds itself (never taken from the sample when an order is used).
_DELIVERY_VALUES = frozenset({"order_number", "order_id", "tracking_url", "admin_url",
                              "tracking_link"})


@dataclass(frozen=True)
class Preview:
    """A rendered text: the email subject, the body, the order it was rendered on (None:
    the sample) and the names whose values came from the sample."""

    subject: str
    body: str
    order: Order | None = None
    from_sample: list[str] = field(default_factory=list)


def recent_orders(scope: Scope, limit: int = RECENT_ORDERS) -> list[Order]:
    """The latest orders of the admin's stores, newest first."""
    return list(db.session.scalars(
        select(Order).options(joinedload(Order.store)).where(scope.where(Order.store_id))
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)))


def order_values(key: str, order: Order, *, base_url: str) -> dict:
    """The values the operation behind `key` writes into the outbox row for this order
    (before delivery adds its number, id and links)."""
    store = order.store
    values: dict = {"store_name": store.name, "base_url": base_url}
    if key in ("order_confirmation", "new_order_admin"):
        confirmation, alert = _checkout_values(order, base_url=base_url)
        values.update(confirmation if key == "order_confirmation" else alert)
    elif key.startswith("order_status_"):
        target = OrderStatus(key.removeprefix("order_status_").upper())
        values.update(status_label=ORDER_STATUS_LABELS[target], note=None)
        if target == OrderStatus.SHIPPED:
            values.update(_parcel_values(order))
    elif key in _PAYMENT_KEYS:
        values.update(status_label=PAYMENT_STATUS_LABELS[_PAYMENT_KEYS[key]], note=None)
    elif key == "proof_submitted_admin":
        values.update(total=order.total, admin_path="/admin/payment/")
    elif key == "proof_rejected":
        values.update(total=order.total, reason=_rejection_reason(order))
    elif key.startswith("b2b_"):
        values.update(total=order.total, item_count=sum(i.qty for i in _items(order)))
    return {name: value for name, value in values.items() if value is not None}


def _checkout_values(order: Order, *, base_url: str) -> tuple[dict, dict]:
    """checkout.order_messages' values, from the order as it was written."""
    from .checkout import CleanCheckout
    from .order_channels import order_messages

    items = _items(order)
    lines = [Line(code=i.code, name=i.name, unit_price=i.unit_price, qty=i.qty,
                  discount=i.discount, product_id=i.product_id) for i in items]
    data = CleanCheckout(
        name=order.recipient_name, phone=order.recipient_phone,
        address=order.shipping_address or "", email=None, courier=order.courier,
        payment_method=order.payment_method.value if order.payment_method else None,
        notes=order.notes, cart={i.code: i.qty for i in items}, idempotency_key=None)
    totals = Totals(order.subtotal, order.discount, order.shipping_fee, order.total)
    return order_messages(order.store, data, lines, totals, base_url=base_url)


def _items(order: Order) -> list[OrderItem]:
    return list(db.session.scalars(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)))


def _parcel_values(order: Order) -> dict:
    """The latest parcel, as shipping.add_shipment tells the customer about it."""
    from .shipping import CARRIER_LABELS

    parcel = db.session.scalar(select(Shipment).where(Shipment.order_id == order.id)
                               .order_by(Shipment.id.desc()).limit(1))
    if parcel is None:
        return {}
    return {"carrier": CARRIER_LABELS[parcel.carrier], "carrier_code": parcel.carrier.value,
            "tracking_number": parcel.tracking_number}


def _rejection_reason(order: Order) -> str | None:
    return db.session.scalar(
        select(Payment.note).where(Payment.order_id == order.id,
                                   Payment.status == PaymentRecordStatus.REJECTED)
        .order_by(Payment.id.desc()).limit(1))


_PAYMENT_KEYS = {message_templates.payment_template(s.value): s for s in PaymentStatus
                 if message_templates.payment_template(s.value)}


def preview_values(key: str, locale: str, order: Order | None, *,
                   base_url: str) -> tuple[dict, list[str]]:
    """The values a message of `key` to this order would be rendered with, and the names
    filled from the template's sample (all of them without an order). Raises InvalidInput
    for an unknown key."""
    spec = message_templates.spec(key)
    if order is None or not spec.about_order:
        return dict(spec.sample), sorted(spec.variables)
    written = order_values(key, order, base_url=base_url)
    sampled = {name: value for name, value in spec.sample.items()
               if name not in written and name not in _DELIVERY_VALUES}
    row = Notification(template=key, order_id=order.id, store_id=order.store_id,
                       locale=locale, channel=NotificationChannel.WHATSAPP,
                       recipient=order.recipient_phone, data=json_values({**sampled, **written}))
    return render_values(row, order), sorted(name for name in sampled if name in spec.variables)


def render_preview(key: str, locale: str, body: str, subject: str | None,
                   order: Order | None, *, base_url: str) -> Preview:
    """The text as it would be sent to this order (or with the sample). Raises InvalidInput
    when the template would be refused on saving, or fails on this order's values."""
    message_templates.check_template(key, body, subject)
    values, sampled = preview_values(key, locale, order, base_url=base_url)
    try:
        text = message_templates.render(body, values)
        title = message_templates.render(subject, values) if subject else ""
    except (TemplateError, TypeError, ValueError, ArithmeticError) as error:
        raise InvalidInput(f"Template gagal dibuat dengan data pesanan ini: {error}",
                           fields={"body": "Gagal dengan data pesanan ini."}) from None
    return Preview(subject=title, body=text, order=order, from_sample=sampled)


# --- the texts -------------------------------------------------------------------------


def edited_template(key: str, locale: str) -> MessageTemplate | None:
    """The back office's text of this key and language, if it was edited."""
    return db.session.scalar(select(MessageTemplate).where(
        MessageTemplate.key == key, MessageTemplate.locale == locale))


def edited_templates() -> dict[tuple[str, str], MessageTemplate]:
    """Every edited text, by (key, locale)."""
    return {(t.key, t.locale): t for t in db.session.scalars(select(MessageTemplate))}


def current_text(key: str, locale: str) -> tuple[str, str]:
    """(subject, body) in force: the edited text, else the built-in default."""
    return template_text(key, locale)


def save_template(key: str, locale: str, body: str, subject: str | None, *,
                  by: str) -> MessageTemplate:
    """Store an edited text (it replaces the default from the next message on). Raises
    InvalidInput for an unknown key or language, or a text check_template refuses."""
    _check_editable(key, locale)
    body = (body or "").replace("\r\n", "\n").strip()
    subject = " ".join((subject or "").split()) or None
    if subject and len(subject) > 255:
        raise InvalidInput("Subjek terlalu panjang (maks 255 karakter).",
                           fields={"subject": "Maksimal 255 karakter."})
    message_templates.check_template(key, body, subject)
    row = edited_template(key, locale)
    if row is None:
        row = MessageTemplate(key=key, locale=locale)
        db.session.add(row)
    row.body, row.subject, row.updated_by, row.updated_at = body, subject, by, clock.now()
    db.session.flush()
    return row


def reset_template(key: str, locale: str) -> bool:
    """Go back to the built-in default (delete the edited text). Returns whether one was
    there. Raises InvalidInput for an unknown key or language."""
    _check_editable(key, locale)
    gone = db.session.execute(delete(MessageTemplate).where(
        MessageTemplate.key == key, MessageTemplate.locale == locale)).rowcount
    return bool(gone)


def editable(key: str) -> bool:
    """Whether the key's text is edited here (a bulk message's text is its campaign's)."""
    return key in message_templates.SPECS and key != "bulk"


def _check_editable(key: str, locale: str) -> None:
    message_templates.spec(key)
    if not editable(key):
        raise InvalidInput("Isi pesan massal ditulis di setiap kampanye.")
    if locale not in message_templates.LOCALES:
        raise InvalidInput(f"Bahasa tidak dikenal: {locale}.")
