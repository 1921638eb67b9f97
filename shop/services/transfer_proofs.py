"""Transfer proofs: the shopper's "Saya sudah bayar" with a photo of the transfer, and the
admin's confirmation (-> PAID, a Payment recorded) or rejection (-> PENDING, with a reason
the tracking page shows)."""

from __future__ import annotations

import os

from flask import current_app
from sqlalchemy import select

from .. import clock
from ..errors import InvalidInput, NotFound, StaleChange
from ..extensions import db
from ..models import (
    Order,
    OrderStatus,
    Payment,
    PaymentRecordStatus,
    PaymentStatus,
    Store,
)
from ..template_i18n import gettext as _
from .notifications import Message, queue_messages
from .orders import set_payment_status, tell_customer
from .validation import clean_text

#: Orders whose shopper may still say "Saya sudah bayar".
PAYABLE_STATUSES = (OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.PROCESSING,
                    OrderStatus.SHIPPED, OrderStatus.DELIVERED)


def proof_folder() -> str:
    """Where transfer proofs are kept: beside the public uploads, never served publicly."""
    return os.path.join(current_app.config["UPLOAD_FOLDER"], "proofs")


def can_submit_proof(status: OrderStatus, payment_status: PaymentStatus) -> bool:
    """Whether the tracking page offers the transfer-proof upload."""
    return payment_status == PaymentStatus.PENDING and status in PAYABLE_STATUSES


def proof_under_review(payment_status: PaymentStatus) -> bool:
    """Whether the tracking page tells the shopper the store is checking the proof."""
    return payment_status == PaymentStatus.AWAITING_CONFIRMATION


def submit_transfer_proof(order: Order, proof: str, *, base_url: str | None = None) -> Payment:
    """Record the shopper's proof (an already stored image's file name), move the payment to
    AWAITING_CONFIRMATION and alert the store's admins. Raises InvalidInput or StaleChange."""
    if not can_submit_proof(order.status, order.payment_status):
        raise InvalidInput(_("Pesanan ini tidak sedang menunggu pembayaran."))
    set_payment_status(order, PaymentStatus.AWAITING_CONFIRMATION, actor="customer",
                       note="Bukti transfer dikirim")
    payment = Payment(order_id=order.id, method=order.payment_method, amount=order.total,
                      status=PaymentRecordStatus.SUBMITTED, proof=proof, actor="customer",
                      created_at=clock.now())
    db.session.add(payment)
    store = db.session.get(Store, order.store_id)
    data = {"store_name": store.name, "total": order.total, "admin_path": "/admin/payment/",
            "base_url": base_url or current_app.config["PUBLIC_BASE_URL"]}
    recipients = list(dict.fromkeys([*(store.admin_whatsapp or []), store.whatsapp]))
    queue_messages([Message(phone, "proof_submitted_admin", data)
                    for phone in recipients if phone],
                   store_id=store.id, order_id=order.id, now=clock.now())
    db.session.flush()
    return payment


def confirm_transfer_proof(payment: Payment, *, actor: str, reference: str | None = None
                           ) -> Payment:
    """Accept the proof: the order becomes PAID. Raises StaleChange or TransitionRefused."""
    order = _open_proof_order(payment)
    payment.status = PaymentRecordStatus.CONFIRMED
    payment.reference = clean_text(reference, field="reference", label=_("Referensi"), limit=120)
    payment.decided_by, payment.decided_at = actor, clock.now()
    set_payment_status(order, PaymentStatus.PAID, actor=actor, note="Bukti transfer diterima")
    db.session.flush()
    return payment


def reject_transfer_proof(payment: Payment, *, actor: str, reason: str) -> Payment:
    """Refuse the proof with a reason: the order waits for payment again. Raises
    InvalidInput, StaleChange or TransitionRefused."""
    note = clean_text(reason, field="reason", label=_("Alasan"), required=True, limit=500)
    order = _open_proof_order(payment)
    payment.status = PaymentRecordStatus.REJECTED
    payment.note = note
    payment.decided_by, payment.decided_at = actor, clock.now()
    set_payment_status(order, PaymentStatus.PENDING, actor=actor, note=note, notify=False)
    if order.recipient_phone:
        tell_customer(order, "proof_rejected", {"reason": note, "total": order.total})
    db.session.flush()
    return payment


def latest_rejection(order_id: str) -> str | None:
    """The reason of the order's last rejected proof, if any."""
    return db.session.scalar(
        select(Payment.note).where(Payment.order_id == order_id,
                                   Payment.status == PaymentRecordStatus.REJECTED)
        .order_by(Payment.id.desc()).limit(1))


def get_payment(payment_id) -> Payment:
    """A payment by id. Raises NotFound."""
    text = str(payment_id)
    ok = text.isascii() and text.isdigit() and len(text) <= 12
    payment = db.session.get(Payment, int(text)) if ok else None
    if payment is None:
        raise NotFound(_("Pembayaran tidak ditemukan."))
    return payment


def _open_proof_order(payment: Payment) -> Order:
    if payment.status != PaymentRecordStatus.SUBMITTED:
        raise StaleChange(_("Bukti transfer ini sudah diputuskan."))
    return db.session.get(Order, payment.order_id)
