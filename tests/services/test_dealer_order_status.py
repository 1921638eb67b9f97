"""An admin's generic status change of a dealer's waiting order is its approval or its
rejection (never a way around them): confirming queues the SO, rejecting tells the shop,
processing before approval is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.errors import InvalidInput, TransitionRefused
from shop.extensions import db
from shop.models import LegacyState, Notification, Order, OrderStatus
from shop.services.order_status import change_status
from shop.unit_of_work import commit

ADMIN = "admin:admin@pmo.test"


@pytest.fixture
def order(make):
    placed = make.b2b_order(make.dealer_shop(), items=[("OLI-MPX2", 2)])
    return db.session.get(Order, placed.id)


def test_confirming_a_dealer_order_is_its_approval(order):
    change_status(order, "CONFIRMED", actor=ADMIN)
    commit()
    order = db.session.get(Order, order.id)
    assert order.status == OrderStatus.CONFIRMED and order.approved_at is not None
    # Without Redis the SO job ran right after the commit.
    assert order.legacy_state == LegacyState.SUBMITTED and order.ref_so_number


def test_rejecting_a_dealer_order_tells_the_shop_why(order):
    change_status(order, "REJECTED", actor=ADMIN, note="Stock tidak tersedia")
    commit()
    sent = db.session.scalars(select(Notification).where(
        Notification.order_id == order.id, Notification.template == "b2b_order_rejected")).all()
    assert [(n.recipient, n.data["reason"]) for n in sent] == [
        ("628123456789", "Stock tidak tersedia")]
    assert db.session.get(Order, order.id).status == OrderStatus.REJECTED


def test_rejecting_without_a_reason_changes_nothing(order):
    with pytest.raises(InvalidInput):
        change_status(order, "REJECTED", actor=ADMIN)
    db.session.rollback()
    assert db.session.get(Order, order.id).status == OrderStatus.PENDING


def test_a_dealer_order_is_not_processed_before_approval(order):
    with pytest.raises(TransitionRefused, match="disetujui dulu"):
        change_status(order, "PROCESSING", actor=ADMIN)
    db.session.rollback()
    assert db.session.get(Order, order.id).status == OrderStatus.PENDING


def test_cancelling_a_waiting_dealer_order_stays_a_plain_cancel(order):
    change_status(order, "CANCELLED", actor=ADMIN, note="Dobel")
    commit()
    order = db.session.get(Order, order.id)
    assert (order.status, order.legacy_state) == (OrderStatus.CANCELLED, None)  # not sent
