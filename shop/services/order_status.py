"""An admin's status change of one order: the status machine's move, with a reason where the
customer must be told why (cancel, reject) and a refusal when the order moved meanwhile; and
completing an order with what the store delivered (seed 001's server id)."""

from __future__ import annotations

from ..errors import InvalidInput, StaleChange, TransitionRefused
from ..extensions import db
from ..models import Order, OrderStatus
from .labels import ORDER_STATUS_LABELS
from .orders import transition
from .validation import clean_text

#: Changes the customer hears about with the admin's reason (seed 001's !order-cancel).
REASON_REQUIRED = (OrderStatus.CANCELLED, OrderStatus.REJECTED)
MAX_NOTE = 500
MAX_REFERENCE = 100  # Order.reference
REFERENCE_LABELS = {"id": "Referensi", "en": "Reference"}


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


def complete_order(order: Order, *, reference: str | None, actor: str, note: str | None = None,
                   base_url: str | None = None) -> Order:
    """Complete the order and keep on it what the store delivered (a server id, a licence);
    the customer's status message carries the reference in its note (in the language they
    ordered in) and as `reference`. Raises InvalidInput, TransitionRefused or StaleChange."""
    ref = clean_text(reference, field="reference", label="Referensi", limit=MAX_REFERENCE,
                     multiline=False)
    text = clean_text(note, field="note", label="Catatan", limit=MAX_NOTE)
    label = REFERENCE_LABELS.get(order.locale, REFERENCE_LABELS["id"])
    shown = "\n".join(part for part in (ref and f"{label}: {ref}", text) if part) or None
    transition(order, OrderStatus.COMPLETED, actor=actor, note=shown, base_url=base_url,
               notice={"reference": ref})
    if ref:
        order.reference = ref
        db.session.flush()
    return order
