"""Transfer proofs: "Saya sudah bayar", then an admin confirms (PAID) or rejects (PENDING)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.errors import InvalidInput, StaleChange
from shop.extensions import db
from shop.models import (
    Notification,
    Order,
    OrderStatus,
    Payment,
    PaymentRecordStatus,
    PaymentStatus,
)
from shop.services.orders import transition
from shop.services.tracking import load_tracking
from shop.services.transfer_proofs import (
    confirm_transfer_proof,
    latest_rejection,
    reject_transfer_proof,
    submit_transfer_proof,
)

from ..messages import text_of, texts

ADMIN = "admin:kasir@toko.test"


@pytest.fixture
def order(make, burger):
    burger.admin_whatsapp = ["6281333333333"]
    db.session.commit()
    placed = make.order(burger, items=[("BRG-CHEESE", 2), ("FRIES", 1)],
                        payment_method="bank_transfer")
    return db.session.get(Order, placed.id)


def submit(order):
    payment = submit_transfer_proof(order, "a" * 32 + ".jpg", base_url="https://shop.test")
    db.session.commit()
    return payment


def test_proof_waits_for_the_admin_and_alerts_the_store(order):
    payment = submit(order)

    assert order.payment_status == PaymentStatus.AWAITING_CONFIRMATION
    assert (payment.status, payment.amount, payment.method) == (
        PaymentRecordStatus.SUBMITTED, 65000, "bank_transfer")
    alerts = db.session.scalars(select(Notification).where(
        Notification.template == "proof_submitted_admin")).all()
    assert sorted(a.recipient for a in alerts) == ["6281111111111", "6281333333333"]
    assert "Bukti transfer masuk di Burger China" in text_of(alerts[0])
    assert order.number in text_of(alerts[0])
    assert "https://shop.test/admin/payment/" in text_of(alerts[0])


def test_confirmed_proof_makes_the_order_paid(order):
    payment = submit(order)
    confirm_transfer_proof(payment, actor=ADMIN, reference="BCA-778899")
    db.session.commit()

    db.session.expire_all()
    paid = db.session.get(Order, order.id)
    assert paid.payment_status == PaymentStatus.PAID
    record = db.session.get(Payment, payment.id)
    assert (record.status, record.reference, record.decided_by) == (
        PaymentRecordStatus.CONFIRMED, "BCA-778899", ADMIN)


def test_rejected_proof_sends_the_order_back_to_pending_with_the_reason_on_tracking(order):
    payment = submit(order)
    reject_transfer_proof(payment, actor=ADMIN, reason="Nominal tidak sesuai")
    db.session.commit()

    assert db.session.get(Order, order.id).payment_status == PaymentStatus.PENDING
    assert latest_rejection(order.id) == "Nominal tidak sesuai"
    assert load_tracking(order.id).order.proof_rejection == "Nominal tidak sesuai"
    told = texts(template="proof_rejected")
    assert len(told) == 1 and "Nominal tidak sesuai" in told[0]


def test_a_rejection_needs_a_reason_and_changes_nothing(order):
    payment = submit(order)
    with pytest.raises(InvalidInput):
        reject_transfer_proof(payment, actor=ADMIN, reason="   ")
    db.session.rollback()
    assert db.session.get(Order, order.id).payment_status == PaymentStatus.AWAITING_CONFIRMATION
    assert db.session.get(Payment, payment.id).status == PaymentRecordStatus.SUBMITTED


def test_a_decided_proof_cannot_be_decided_again(order):
    payment = submit(order)
    confirm_transfer_proof(payment, actor=ADMIN)
    db.session.commit()
    with pytest.raises(StaleChange):
        reject_transfer_proof(payment, actor=ADMIN, reason="telat")


def test_no_proof_for_a_paid_or_cancelled_order(order):
    transition(order, OrderStatus.CANCELLED, actor=ADMIN, note="habis")
    db.session.commit()
    with pytest.raises(InvalidInput):
        submit_transfer_proof(order, "b" * 32 + ".png", base_url="https://shop.test")
