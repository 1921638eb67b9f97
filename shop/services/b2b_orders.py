"""A dealer shop's order in the back office (seed 004): approved (then written into the
legacy ERP by a job, shop.services.erp) or rejected with a reason; the shop hears of both
by WhatsApp."""

from __future__ import annotations

from sqlalchemy import select, update

from .. import clock
from ..errors import InvalidInput, StaleChange, TransitionRefused
from ..extensions import db
from ..models import Channel, LegacyState, Order, OrderStatus
from .labels import ORDER_STATUS_LABELS
from .notifications import Message, queue_messages
from .orders import transition

ORDERS = Order.__table__
#: The longest reason a shop is sent (a WhatsApp message, not a letter).
REASON_MAX = 500


def approve_b2b_order(order: Order, *, actor: str) -> Order:
    """Approve a dealer's PENDING order (-> CONFIRMED) and have a job write it into the
    legacy ERP after the commit. Raises TransitionRefused (also to the loser of two
    approvals at once)."""
    from ..jobs import enqueue
    from ..jobs.tasks import submit_to_erp

    _decide(order, OrderStatus.CONFIRMED, actor=actor, note=None)
    order.approved_at = clock.now()
    order.legacy_state = LegacyState.QUEUED
    order.legacy_error = None
    db.session.flush()
    enqueue(submit_to_erp, order.id, queue_name="legacy")
    return order


def reject_b2b_order(order: Order, *, actor: str, reason: str) -> Order:
    """Reject a dealer's PENDING order (-> REJECTED) and tell the shop why. Raises
    InvalidInput (no reason) or TransitionRefused."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("Tulis alasan penolakan.", fields={"reason": "Wajib diisi."})
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"Alasan paling panjang {REASON_MAX} karakter.",
                           fields={"reason": f"Paling panjang {REASON_MAX} karakter."})
    _decide(order, OrderStatus.REJECTED, actor=actor, note=reason)
    tell_shop(order, "b2b_order_rejected", {"reason": reason})
    return order


def retry_legacy_submission(order: Order) -> Order:
    """Queue again the ERP submission of an order whose last one failed. Raises
    TransitionRefused when it did not fail (or another admin retried it just now)."""
    from ..jobs import enqueue
    from ..jobs.tasks import submit_to_erp

    changed = db.session.execute(
        update(ORDERS).where(ORDERS.c.id == order.id,
                             ORDERS.c.legacy_state == LegacyState.FAILED.value)
        .values(legacy_state=LegacyState.QUEUED.value, updated_at=clock.now())).rowcount
    if changed != 1:
        raise TransitionRefused("Hanya pengiriman ke ERP yang gagal yang bisa diulang.",
                                allowed=[])
    db.session.refresh(order, ["legacy_state", "updated_at"])
    enqueue(submit_to_erp, order.id, queue_name="legacy")
    return order


def tell_shop(order: Order, template: str, values: dict) -> None:
    """Queue a WhatsApp message about the order to its dealer shop."""
    shop = order.shop
    data = {"store_name": order.store.name, "shop_name": shop.name, **values}
    queue_messages([Message(shop.phone, template, data)], store_id=order.store_id,
                   order_id=order.id, now=clock.now())


def _decide(order: Order, target: OrderStatus, *, actor: str, note: str | None) -> None:
    """The PENDING dealer order moved to `target` through the status machine; one decision
    only, even when two admins decide at once (the conditional update of `transition`)."""
    if order.channel != Channel.B2B or order.shop_id is None:
        raise TransitionRefused("Hanya order toko dealer (B2B) yang disetujui atau ditolak di "
                                "sini.", allowed=[])
    if order.status != OrderStatus.PENDING:
        raise _already_decided(order.number, order.status)
    try:
        transition(order, target, actor=actor, note=note)
    except StaleChange:  # another admin decided first: say what they decided
        current = db.session.scalar(select(ORDERS.c.status).where(ORDERS.c.id == order.id))
        raise _already_decided(order.number, OrderStatus(current)) from None


def _already_decided(number: str, status: OrderStatus) -> TransitionRefused:
    return TransitionRefused(
        f"Order {number} sudah {ORDER_STATUS_LABELS[status]} ({status.value}); hanya order "
        "yang menunggu (PENDING) yang bisa disetujui atau ditolak.",
        allowed=[], status=status.value)
