"""Mark as paid (seed 000): a confirmed Payment recorded and the order's payment PAID."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from shop.errors import InvalidInput
from shop.extensions import db
from shop.models import (
    Customer,
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentRecordStatus,
    PaymentStatus,
)
from shop.services.orders import set_payment_status, transition
from shop.services.payment_records import can_record_payment, record_payment


def seed_order(make, burger) -> Order:
    placed = make.order(burger, items=[("BRG-CHEESE", 2), ("FRIES", 1)])
    return db.session.get(Order, placed.id)


def test_money_received_is_recorded_and_the_order_is_paid(make, burger):
    order = seed_order(make, burger)

    payment = record_payment(order, method="bank_transfer", amount="Rp 65.000",
                             reference="BCA-7781", actor="admin:a@toko.test")
    db.session.commit()

    assert order.payment_status == PaymentStatus.PAID and not can_record_payment(order)
    stored = db.session.scalars(select(Payment).where(Payment.order_id == order.id)).one()
    assert stored is payment
    assert (stored.method, stored.amount, stored.reference, stored.status, stored.actor,
            stored.decided_by) == (PaymentMethod.BANK_TRANSFER, Decimal("65000.00"), "BCA-7781",
                                   PaymentRecordStatus.CONFIRMED, "admin:a@toko.test",
                                   "admin:a@toko.test")


def test_a_completed_order_paid_counts_in_the_customers_spending(make, burger):
    order = seed_order(make, burger)
    for status in (OrderStatus.PROCESSING, OrderStatus.COMPLETED):
        transition(order, status, actor="test")

    record_payment(order, method="cod", amount="65000", actor="test")
    db.session.commit()

    customer = db.session.get(Customer, order.customer_id)
    assert (customer.total_spent, customer.total_purchases) == (Decimal("65000.00"), 1)


@pytest.mark.parametrize("amount", ["0", "", "-5", "abc", None])
def test_nothing_or_negative_money_is_refused(make, burger, amount):
    order = seed_order(make, burger)
    with pytest.raises(InvalidInput) as refused:
        record_payment(order, method="cod", amount=amount, actor="test")
    assert "amount" in refused.value.fields
    assert order.payment_status == PaymentStatus.PENDING


@pytest.mark.parametrize("method", ["", "bitcoin", None])
def test_a_method_is_required_and_must_be_offered(make, burger, method):
    order = seed_order(make, burger)
    with pytest.raises(InvalidInput):
        record_payment(order, method=method, amount="65000", actor="test")


def test_a_paid_order_or_one_with_a_proof_waiting_is_not_paid_again(make, burger):
    order = seed_order(make, burger)
    set_payment_status(order, PaymentStatus.AWAITING_CONFIRMATION, actor="customer")
    with pytest.raises(InvalidInput) as waiting:
        record_payment(order, method="bank_transfer", amount="65000", actor="test")
    assert "bukti transfer" in waiting.value.message

    set_payment_status(order, PaymentStatus.PAID, actor="test")
    with pytest.raises(InvalidInput):
        record_payment(order, method="bank_transfer", amount="65000", actor="test")
    assert db.session.scalars(select(Payment).where(Payment.order_id == order.id)).all() == []
