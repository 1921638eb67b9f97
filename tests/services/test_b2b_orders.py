"""Approving and rejecting a dealer's order (seed 004, issue 12 item 5): PENDING -> CONFIRMED
with the ERP submission queued, or -> REJECTED with a reason the shop is told; the status
messages of customers are not sent to dealer shops. Without Redis the submission job runs
right after the commit, so an approval here ends with the SO written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from shop.errors import InvalidInput, TransitionRefused
from shop.extensions import db
from shop.models import (
    LegacySalesOrder,
    LegacyState,
    Notification,
    Order,
    OrderEvent,
    OrderStatus,
    Serial,
)
from shop.services.b2b_orders import approve_b2b_order, reject_b2b_order, retry_legacy_submission
from shop.services.orders import transition
from shop.unit_of_work import commit

from ..messages import text_of

ADMIN = "admin:admin@pmo.test"
SHOP_PHONE = "628123456789"


@pytest.fixture
def shop(make):
    """Toko Jaya Motor (TK001) of the distributor, with its salesman."""
    return make.dealer_shop()


def dealer_order(make, shop, items=(("OLI-MPX2", 2), ("BUSI-NGK", 3))) -> Order:
    placed = make.b2b_order(shop, items=list(items))
    return db.session.get(Order, placed.id)


def outbox(order: Order) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.order_id == order.id)
                                   .order_by(Notification.id)))


def sales_orders() -> int:
    return db.session.scalar(select(func.count()).select_from(LegacySalesOrder))


def events(order: Order) -> list[tuple]:
    return [(e.from_status, e.to_status, e.actor, e.note) for e in db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id))]


def test_approving_a_pending_dealer_order_confirms_it_and_queues_the_submission(make, shop):
    order = dealer_order(make, shop)
    alerts = len(outbox(order))  # the admins' new-order alert

    approve_b2b_order(order, actor=ADMIN)

    assert order.status == OrderStatus.CONFIRMED
    assert order.approved_at is not None and order.legacy_state == LegacyState.QUEUED
    assert events(order)[-1] == ("PENDING", "CONFIRMED", ADMIN, None)
    assert len(outbox(order)) == alerts  # no customer's "Dikonfirmasi" to the shop
    assert sales_orders() == 0  # the job runs only after the commit

    commit()

    db.session.refresh(order)
    assert order.legacy_state == LegacyState.SUBMITTED
    assert order.ref_so_number.endswith("/000001/POD-PD") and order.ref_so_id is not None
    (approved,) = outbox(order)[alerts:]
    assert (approved.recipient, approved.template) == (SHOP_PHONE, "b2b_order_approved")


def test_an_approved_order_cannot_be_approved_again_and_queues_nothing(make, shop):
    order = dealer_order(make, shop)
    approve_b2b_order(order, actor=ADMIN)
    commit()

    with pytest.raises(TransitionRefused, match="sudah Dikonfirmasi"):
        approve_b2b_order(order, actor="admin:other@pmo.test")

    assert sales_orders() == 1
    assert [e[1] for e in events(order)] == ["PENDING", "CONFIRMED"]


def test_an_approval_that_lost_the_race_is_refused_with_what_happened(make, shop):
    order = dealer_order(make, shop)
    assert order.status == OrderStatus.PENDING  # what this admin's page shows
    db.session.execute(update(Order.__table__).where(Order.__table__.c.id == order.id)
                       .values(status="REJECTED"))  # another admin, just now

    with pytest.raises(TransitionRefused) as refused:
        approve_b2b_order(order, actor=ADMIN)

    assert refused.value.details["status"] == "REJECTED"
    assert "sudah Ditolak" in refused.value.message
    assert order.legacy_state is None and order.approved_at is None
    assert [e[1] for e in events(order)] == ["PENDING"]


def test_only_a_dealer_shops_order_is_approved_here(make):
    store = make.store()
    placed = make.order(store)
    order = db.session.get(Order, placed.id)

    with pytest.raises(TransitionRefused, match="B2B"):
        approve_b2b_order(order, actor=ADMIN)
    with pytest.raises(TransitionRefused, match="B2B"):
        reject_b2b_order(order, actor=ADMIN, reason="Stok habis")

    assert order.status == OrderStatus.PENDING


def test_rejecting_tells_the_shop_the_reason_and_sends_nothing_to_the_erp(make, shop):
    order = dealer_order(make, shop)

    reject_b2b_order(order, actor=ADMIN, reason="  Stock tidak\ntersedia. ")
    commit()

    db.session.refresh(order)
    assert order.status == OrderStatus.REJECTED
    assert order.legacy_state is None and order.ref_so_number is None
    assert events(order)[-1] == ("PENDING", "REJECTED", ADMIN, "Stock tidak tersedia.")
    rejected = outbox(order)[-1]
    assert (rejected.recipient, rejected.template) == (SHOP_PHONE, "b2b_order_rejected")
    assert rejected.data["reason"] == "Stock tidak tersedia."
    assert rejected.data["shop_name"] == "Toko Jaya Motor"
    assert text_of(rejected) == (f"❌ Order {order.number} ditolak.\n"
                                 "Alasan: “Stock tidak tersedia.”")  # quoted: typed text
    assert sales_orders() == 0
    assert db.session.scalar(select(func.count()).select_from(Serial)
                             .where(Serial.name == "legacy-so")) == 0


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 501])
def test_a_rejection_needs_a_reason_of_reasonable_length(make, shop, reason):
    order = dealer_order(make, shop)
    before = len(outbox(order))

    with pytest.raises(InvalidInput) as refused:
        reject_b2b_order(order, actor=ADMIN, reason=reason)

    assert "reason" in refused.value.fields
    assert order.status == OrderStatus.PENDING and len(outbox(order)) == before


def test_a_rejected_order_cannot_be_approved(make, shop):
    order = dealer_order(make, shop)
    reject_b2b_order(order, actor=ADMIN, reason="Stok habis")
    commit()

    with pytest.raises(TransitionRefused, match="sudah Ditolak"):
        approve_b2b_order(order, actor=ADMIN)
    with pytest.raises(TransitionRefused, match="sudah Ditolak"):
        reject_b2b_order(order, actor=ADMIN, reason="Lagi")

    assert sales_orders() == 0


def test_a_failed_submission_is_retried_and_then_submitted(make, shop):
    shop.ref_toko_id = None  # not linked to the ERP's toko yet
    db.session.commit()
    order = dealer_order(make, shop)
    approve_b2b_order(order, actor=ADMIN)
    commit()
    db.session.refresh(order)
    assert order.legacy_state == LegacyState.FAILED and "ref_toko_id" in order.legacy_error
    shop.ref_toko_id = 501  # the admin links it
    db.session.commit()

    retry_legacy_submission(order)
    assert order.legacy_state == LegacyState.QUEUED
    commit()

    db.session.refresh(order)
    assert order.legacy_state == LegacyState.SUBMITTED and order.legacy_error is None
    assert db.session.scalar(select(LegacySalesOrder.fk_toko)) == 501


def test_only_a_failed_submission_can_be_retried(make, shop):
    order = dealer_order(make, shop)
    with pytest.raises(TransitionRefused, match="gagal"):
        retry_legacy_submission(order)  # never approved
    approve_b2b_order(order, actor=ADMIN)
    commit()

    with pytest.raises(TransitionRefused, match="gagal"):
        retry_legacy_submission(order)  # submitted

    assert sales_orders() == 1


def test_later_status_changes_of_a_dealer_order_send_no_customer_messages(make, shop):
    order = dealer_order(make, shop)
    approve_b2b_order(order, actor=ADMIN)
    commit()
    before = [row.template for row in outbox(order)]

    transition(order, OrderStatus.PROCESSING, actor=ADMIN)
    transition(order, OrderStatus.SHIPPED, actor=ADMIN)
    commit()

    assert [row.template for row in outbox(order)] == before
    assert before == ["b2b_order_created"] * 2 + ["b2b_order_approved"]  # two admin numbers
