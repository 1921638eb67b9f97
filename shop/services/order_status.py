"""An admin's status change of one order: the status machine's move, with a reason where the
customer must be told why (cancel, reject) and a refusal when the order moved meanwhile."""

from __future__ import annotations

from ..errors import InvalidInput, StaleChange, TransitionRefused
from ..models import Order, OrderStatus
from .labels import ORDER_STATUS_LABELS
from .orders import transition
from .validation import clean_text

#: Changes the customer hears about with the admin's reason (seed 001's !order-cancel).
REASON_REQUIRED = (OrderStatus.CANCELLED, OrderStatus.REJECTED)
MAX_NOTE = 500


def clean_status_change(status, note) -> tuple[OrderStatus, str | None]:
    """The target status and the note, a reason being required for cancel and reject.
    Raises InvalidInput or TransitionRefused."""
    try:
        target = OrderStatus(status)
    except ValueError:
        raise TransitionRefused(f"Status tidak dikenal: {status}.",
                                fields={"status": "Status tidak dikenal."}) from None
    text = clean_text(note, field="note", label="Catatan", limit=MAX_NOTE)
    if target in REASON_REQUIRED and not text:
        raise InvalidInput(
            f"Alasan wajib diisi untuk status {ORDER_STATUS_LABELS[target]}.",
            fields={"note": "Alasan wajib diisi."},
        )
    return target, text


def change_status(order: Order, status, *, actor: str, note: str | None = None,
                  expected=None, base_url: str | None = None) -> Order:
    """Move the order to `status` through orders.transition; `expected` is the status the
    admin saw, refused if the order has moved since. Raises InvalidInput, TransitionRefused
    or StaleChange."""
    target, text = clean_status_change(status, note)
    if expected not in (None, "") and expected != order.status.value:
        allowed = ", ".join(s.value for s in order.allowed_transitions()) or "tidak ada"
        raise StaleChange(
            f"Pesanan {order.number} baru saja diubah orang lain: statusnya sekarang "
            f"{order.status.value}. Yang diizinkan: {allowed}.",
            allowed=[s.value for s in order.allowed_transitions()],
        )
    if order.shop_id is not None and order.status == OrderStatus.PENDING:
        return _decide_dealer_order(order, target, actor=actor, reason=text)
    return transition(order, target, actor=actor, note=text, base_url=base_url)


def _decide_dealer_order(order: Order, target: OrderStatus, *, actor: str,
                         reason: str | None) -> Order:
    """A dealer's waiting order is confirmed only by its approval (which writes the SO into
    the legacy ERP) and rejected only with the shop told why, whichever form or API the admin
    used; it is not processed before it is approved. Raises InvalidInput or
    TransitionRefused."""
    from .b2b_orders import approve_b2b_order, reject_b2b_order

    if target == OrderStatus.CONFIRMED:
        return approve_b2b_order(order, actor=actor)
    if target == OrderStatus.REJECTED:
        return reject_b2b_order(order, actor=actor, reason=reason or "")
    if target == OrderStatus.PROCESSING:
        raise TransitionRefused(
            f"Order dealer {order.number} harus disetujui dulu (CONFIRMED) sebelum diproses.",
            allowed=[OrderStatus.CONFIRMED.value, OrderStatus.REJECTED.value,
                     OrderStatus.CANCELLED.value])
    return transition(order, target, actor=actor, note=reason)
