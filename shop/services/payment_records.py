"""Money an admin received for an order ("mark as paid", seed 000): a confirmed Payment row,
and the order's payment moved to PAID through the payment machine."""

from __future__ import annotations

from .. import clock
from ..errors import InvalidInput
from ..extensions import db
from ..models import Order, Payment, PaymentMethod, PaymentRecordStatus, PaymentStatus
from .labels import PAYMENT_METHODS
from .money import format_rupiah, to_money
from .orders import set_payment_status
from .validation import clean_payment_method, clean_text


def can_record_payment(order: Order) -> bool:
    """Whether "mark as paid" applies: the order still waits for its money."""
    return order.payment_status == PaymentStatus.PENDING


def record_payment(order: Order, *, method, amount, reference=None, actor: str,
                   base_url: str | None = None) -> Payment:
    """Record money received for an order whose payment is open and mark it PAID.
    Raises InvalidInput, TransitionRefused or StaleChange."""
    if order.payment_status == PaymentStatus.AWAITING_CONFIRMATION:
        raise InvalidInput("Ada bukti transfer yang menunggu diperiksa: terima atau tolak "
                           "bukti itu di halaman Pembayaran.")
    if not can_record_payment(order):
        raise InvalidInput(f"Pembayaran pesanan ini sudah {order.payment_status.value}.")
    paid_with = clean_payment_method(method)
    if not paid_with:
        raise InvalidInput("Metode bayar wajib diisi.", fields={"method": "Wajib diisi."})
    money = to_money(amount, field="amount", label="Jumlah")
    if money <= 0:
        raise InvalidInput("Jumlah harus lebih dari 0.", fields={"amount": "Harus lebih dari 0."})
    ref = clean_text(reference, field="reference", label="Referensi", limit=120,
                     multiline=False)
    note = f"{format_rupiah(money)} via {PAYMENT_METHODS[paid_with]}" + (f" ({ref})" if ref else "")
    set_payment_status(order, PaymentStatus.PAID, actor=actor, note=note, base_url=base_url)
    now = clock.now()
    payment = Payment(order_id=order.id, method=PaymentMethod(paid_with), amount=money,
                      reference=ref, status=PaymentRecordStatus.CONFIRMED, actor=actor,
                      decided_by=actor, decided_at=now, created_at=now)
    db.session.add(payment)
    db.session.flush()
    return payment
