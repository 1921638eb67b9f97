"""Order lifecycle: status and payment transitions, admin edits, totals kept right."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import NotFound, StaleChange, TransitionRefused
from ..extensions import db
from ..models import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    STOCK_RETURNING_STATUSES,
    EventKind,
    NotificationChannel,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    PaymentStatus,
    Store,
    utcnow,
)
from ..template_i18n import gettext as _
from .inventory import release_stock
from .labels import ORDER_STATUS_LABELS, PAYMENT_STATUS_LABELS
from .message_templates import payment_template, status_template
from .notifications import Message, email_enabled, queue_messages
from .stats import sync_purchase_stats


def get_order(order_id: str, *, store: Store | None = None) -> Order:
    """An order by its id (optionally of one store). Raises NotFound."""
    order = db.session.get(Order, order_id) if len(order_id) <= 32 else None
    if order is None or (store is not None and order.store_id != store.id):
        raise NotFound(_("Pesanan tidak ditemukan."))
    return order


def transition(
    order: Order, to_status: OrderStatus | str, *, actor: str, note: str | None = None,
    base_url: str | None = None, notify: bool = True, notice: dict | None = None,
) -> Order:
    """Move an order along the status machine, with event, stock and stats effects, and
    tell the customer (`notice`: more values for their message, e.g. the parcel's); a dealer
    shop's order has no customer: the shop hears of approval and rejection from
    shop.services.b2b_orders. Raises TransitionRefused or StaleChange."""
    target = _parse(OrderStatus, to_status, ORDER_TRANSITIONS[order.status], "status")
    if target not in ORDER_TRANSITIONS[order.status]:
        raise _refusal(order.status, target, ORDER_TRANSITIONS[order.status], ORDER_STATUS_LABELS)
    source = order.status
    _guarded_update(order, status=(source, target))
    if target in STOCK_RETURNING_STATUSES:
        return_reserved_stock(order)
    _record(order, EventKind.STATUS, source.value, target.value, actor, note)
    sync_purchase_stats(order)
    if notify and order.recipient_phone and order.shop_id is None:
        values = {"status_label": ORDER_STATUS_LABELS[target], "note": note, **(notice or {})}
        tell_customer(order, status_template(target.value), values, base_url=base_url)
    return order


def tell_customer(order: Order, template: str, values: dict, *,
                  base_url: str | None = None) -> None:
    """Queue a message about the order to its customer, in the language they ordered in."""
    store = order.store
    data = {"store_name": store.name, **values,
            "base_url": base_url or current_app.config["PUBLIC_BASE_URL"]}
    messages = [Message(order.recipient_phone, template, data, locale=order.locale)]
    email = order.customer.email if email_enabled() and order.customer_id else None
    if email:
        messages.append(Message(email, template, data, locale=order.locale,
                                channel=NotificationChannel.EMAIL))
    queue_messages(messages, store_id=order.store_id, order_id=order.id, now=utcnow())


def tracking_url(order: Order, base_url: str | None = None) -> str:
    """The order's public tracking link, on PUBLIC_BASE_URL unless a base is given."""
    return f"{base_url or current_app.config['PUBLIC_BASE_URL']}/track/{order.id}"


def return_reserved_stock(order: Order) -> None:
    """Give back what the order's lines hold from stock, and mark them as holding nothing."""
    items = OrderItem.__table__
    held = db.session.execute(
        select(items.c.product_id, items.c.reserved_qty).where(
            items.c.order_id == order.id, items.c.reserved_qty > 0,
            items.c.product_id.is_not(None))
    ).all()
    if held:
        release_stock((row.product_id, row.reserved_qty) for row in held)
        db.session.execute(
            update(items).where(items.c.order_id == order.id).values(reserved_qty=0))


def set_payment_status(
    order: Order, to_status: PaymentStatus | str, *, actor: str, note: str | None = None,
    base_url: str | None = None, notify: bool = True,
) -> Order:
    """Move the payment along its machine and settle customer stats. Raises TransitionRefused."""
    target = _parse(PaymentStatus, to_status, PAYMENT_TRANSITIONS[order.payment_status],
                    "payment_status")
    allowed = PAYMENT_TRANSITIONS[order.payment_status]
    if target not in allowed:
        raise _refusal(order.payment_status, target, allowed, PAYMENT_STATUS_LABELS)
    source = order.payment_status
    _guarded_update(order, payment_status=(source, target))
    _record(order, EventKind.PAYMENT, source.value, target.value, actor, note)
    sync_purchase_stats(order)
    template = payment_template(target.value)
    if notify and order.recipient_phone and template and order.shop_id is None:
        tell_customer(order, template,
                      {"status_label": PAYMENT_STATUS_LABELS[target], "note": note},
                      base_url=base_url)
    return order


def _parse(enum_class, value, allowed, field: str):
    try:
        return enum_class(value)
    except ValueError:
        raise TransitionRefused(
            _("Status tidak dikenal: %(value)s.", value=value),
            fields={field: _("Status tidak dikenal.")},
            allowed=[a.value for a in allowed],
        ) from None


def _refusal(source, target, allowed, labels) -> TransitionRefused:
    names = ", ".join(f"{a.value} ({labels[a]})" for a in allowed) or _("tidak ada (status akhir)")
    return TransitionRefused(
        _("Status %(source)s tidak bisa diubah ke %(target)s. Yang diizinkan: %(allowed)s.",
          source=source.value, target=target.value, allowed=names),
        allowed=[a.value for a in allowed],
    )


def _guarded_update(order: Order, **changes: tuple) -> None:
    """Write new values only if the row still holds the old ones. Raises StaleChange."""
    table = Order.__table__
    now = utcnow()
    stmt = update(table).where(table.c.id == order.id)
    for column, (old, _new) in changes.items():
        stmt = stmt.where(table.c[column] == old.value)
    values = {column: new.value for column, (_old, new) in changes.items()}
    if db.session.execute(stmt.values(updated_at=now, **values)).rowcount != 1:
        raise StaleChange(
            _("Pesanan baru saja diubah oleh orang lain. Muat ulang lalu coba lagi."))
    for column, (_old, new) in changes.items():
        set_committed_value(order, column, new)
    set_committed_value(order, "updated_at", now)


def _record(order: Order, kind: EventKind, source, target, actor: str, note, data=None) -> None:
    db.session.add(OrderEvent(
        order_id=order.id, kind=kind, from_status=source, to_status=target, actor=actor,
        note=note, data=data, created_at=utcnow(),
    ))
