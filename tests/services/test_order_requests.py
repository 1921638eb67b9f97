"""Self-service from the tracking page: a change request or a cancellation, each confirmed with
the last four digits of the order's WhatsApp number; an admin answers a request once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.errors import InvalidInput, StaleChange, TransitionRefused
from shop.extensions import db
from shop.models import (
    EventKind,
    Notification,
    Order,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    PaymentStatus,
    Product,
    RequestStatus,
    RequestTopic,
)
from shop.services.order_requests import (
    answer_request,
    can_request_change,
    cancel_by_customer,
    request_change,
)
from shop.services.orders import set_payment_status, transition

from ..messages import text_of

ADMIN = "admin:kasir@burgerchina.test"
RIGHT, WRONG = "7890", "7891"  # the order's phone is 081234567890


@pytest.fixture
def order(make, burger):
    burger.admin_whatsapp = ["6281333333333"]
    db.session.commit()
    placed = make.order(burger, items=[("BRG-CHEESE", 1), ("COLA", 2)],
                        payment_method="bank_transfer")
    return db.session.get(Order, placed.id)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def snapshot(order: Order) -> tuple:
    db.session.expire_all()
    row = db.session.get(Order, order.id)
    return (row.status, row.payment_status, count(OrderEvent, OrderEvent.order_id == order.id),
            count(OrderRequest), count(Notification), stock("COLA"))


def stock(code: str) -> int:
    return db.session.scalar(select(Product.stock).where(Product.code == code))


def ask(order, last_four=RIGHT, message="Tolong kirim ke kantor: Jl. Thamrin 5",
        topic="address"):
    made = request_change(order, topic=topic, message=message, last_four=last_four,
                          base_url="https://shop.test")
    db.session.commit()
    return made


def test_a_change_request_is_recorded_by_the_customer_and_alerts_the_admins(order):
    made = ask(order)

    assert (made.topic, made.status, made.store_id) == (
        RequestTopic.ADDRESS, RequestStatus.OPEN, order.store_id)
    assert made.message == "Tolong kirim ke kantor: Jl. Thamrin 5"
    event = db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.REQUEST)).one()
    assert event.actor == "customer" and "Jl. Thamrin 5" in event.note
    assert event.note.startswith(f"Permintaan #{made.id} (Alamat)")
    alerts = db.session.scalars(select(Notification).where(
        Notification.template == "change_request_admin")).all()
    assert sorted(a.recipient for a in alerts) == ["6281111111111", "6281333333333"]
    text = text_of(alerts[0])
    assert order.number in text and "Budi Santoso" in text and "Alamat" in text
    assert "Thamrin 5" in text
    assert f"https://shop.test/admin/order/details/?id={order.id}" in text
    assert order.status == OrderStatus.PENDING  # a request changes nothing by itself


@pytest.mark.parametrize("last_four", [WRONG, "789", "78901", "78a0", "", None, "７８９０"])
def test_a_wrong_or_malformed_last_four_is_refused_and_writes_nothing(order, last_four):
    before = snapshot(order)

    with pytest.raises(InvalidInput) as refused:
        request_change(order, topic="address", message="Ganti alamat", last_four=last_four)
    db.session.rollback()
    assert "last_four" in refused.value.fields
    assert "4 angka terakhir" in refused.value.message
    with pytest.raises(InvalidInput):
        cancel_by_customer(order, last_four=last_four)
    db.session.rollback()
    assert snapshot(order) == before


@pytest.mark.parametrize("message, field", [
    ("", "message"), ("   ", "message"), ("x" * 1001, "message"), ("a\x00b", "message"),
])
def test_the_message_is_required_bounded_and_clean(order, message, field):
    before = snapshot(order)
    with pytest.raises(InvalidInput) as refused:
        request_change(order, topic="note", message=message, last_four=RIGHT)
    db.session.rollback()
    assert field in refused.value.fields
    assert snapshot(order) == before


def test_an_unknown_topic_is_refused(order):
    with pytest.raises(InvalidInput) as refused:
        request_change(order, topic="price", message="Diskon dong", last_four=RIGHT)
    assert "topic" in refused.value.fields


def test_a_change_may_be_asked_until_the_parcel_leaves():
    assert [s for s in OrderStatus if can_request_change(s)] == [
        OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.PROCESSING]


def test_a_shipped_order_refuses_a_change_request_naming_whatsapp(order):
    for target in (OrderStatus.PROCESSING, OrderStatus.SHIPPED):
        transition(order, target, actor=ADMIN, notify=False)
    db.session.commit()
    before = snapshot(order)
    with pytest.raises(TransitionRefused) as refused:
        request_change(order, topic="address", message="Ganti alamat", last_four=RIGHT)
    db.session.rollback()
    assert "WhatsApp" in refused.value.message
    assert snapshot(order) == before


def test_cancelling_a_pending_unpaid_order_returns_the_stock_and_tells_both(order):
    assert stock("COLA") == 48

    cancel_by_customer(order, last_four=RIGHT, reason="Salah pilih menu",
                       base_url="https://shop.test")
    db.session.commit()

    db.session.expire_all()
    row = db.session.get(Order, order.id)
    assert row.status == OrderStatus.CANCELLED and stock("COLA") == 50
    event = db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.STATUS)).all()[-1]
    assert (event.actor, event.to_status) == ("customer", "CANCELLED")
    assert "Salah pilih menu" in event.note
    customer = db.session.scalars(select(Notification).where(
        Notification.template == "order_status_cancelled")).one()
    assert customer.recipient == "6281234567890"
    alerts = db.session.scalars(select(Notification).where(
        Notification.template == "order_cancelled_by_customer_admin")).all()
    assert sorted(a.recipient for a in alerts) == ["6281111111111", "6281333333333"]
    assert "Salah pilih menu" in text_of(alerts[0]) and order.number in text_of(alerts[0])


def test_cancel_is_refused_once_paid_or_under_review(order):
    set_payment_status(order, PaymentStatus.AWAITING_CONFIRMATION, actor="customer",
                       notify=False)
    db.session.commit()
    before = snapshot(order)
    with pytest.raises(TransitionRefused) as refused:
        cancel_by_customer(order, last_four=RIGHT)
    db.session.rollback()
    assert "WhatsApp" in refused.value.message
    assert snapshot(order) == before
    set_payment_status(order, PaymentStatus.PAID, actor=ADMIN, notify=False)
    db.session.commit()
    with pytest.raises(TransitionRefused):
        cancel_by_customer(order, last_four=RIGHT)


def test_cancel_is_refused_once_confirmed(order):
    transition(order, OrderStatus.CONFIRMED, actor=ADMIN, notify=False)
    db.session.commit()
    before = snapshot(order)
    with pytest.raises(TransitionRefused):
        cancel_by_customer(order, last_four=RIGHT)
    db.session.rollback()
    assert snapshot(order) == before


def test_cancel_is_refused_when_paid_meanwhile(order):
    """The page was read while unpaid; the store recorded the payment before the post."""
    db.session.execute(Order.__table__.update().where(Order.__table__.c.id == order.id)
                       .values(payment_status="PAID"))
    with pytest.raises(TransitionRefused):
        cancel_by_customer(order, last_four=RIGHT)  # `order` in memory still says PENDING
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.PENDING


def test_an_admin_answer_closes_the_request_and_whatsapps_the_customer(order):
    made = ask(order)

    answer_request(made, answer="Baik, alamat sudah kami ganti.", actor=ADMIN,
                   base_url="https://shop.test")
    db.session.commit()

    db.session.expire_all()
    row = db.session.get(OrderRequest, made.id)
    assert (row.status, row.answer, row.answered_by) == (
        RequestStatus.ANSWERED, "Baik, alamat sudah kami ganti.", ADMIN)
    assert row.answered_at is not None
    events = db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.REQUEST)
        .order_by(OrderEvent.id)).all()
    assert [e.actor for e in events] == ["customer", ADMIN]
    told = db.session.scalars(select(Notification).where(
        Notification.template == "change_request_answer")).one()
    assert told.recipient == "6281234567890"
    text = text_of(told)
    assert "alamat sudah kami ganti" in text and f"https://shop.test/track/{order.id}" in text


def test_a_second_answer_is_refused_and_keeps_the_first(order):
    made = ask(order)
    answer_request(made, answer="Sudah kami ganti.", actor=ADMIN)
    db.session.commit()

    with pytest.raises(StaleChange):
        answer_request(made, answer="Eh, belum.", actor="admin:lain@toko.test")
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(OrderRequest, made.id).answer == "Sudah kami ganti."
    assert count(Notification, Notification.template == "change_request_answer") == 1


def test_two_admins_at_once_only_the_first_answer_counts(order):
    """The second admin read the request while it was open; the guarded update refuses."""
    made = ask(order)
    db.session.execute(OrderRequest.__table__.update().where(
        OrderRequest.__table__.c.id == made.id).values(status="answered", answer="Pertama"))
    with pytest.raises(StaleChange):
        answer_request(made, answer="Kedua", actor=ADMIN)  # in memory still open
    db.session.rollback()
    assert count(Notification, Notification.template == "change_request_answer") == 0


def test_an_empty_answer_is_refused_and_changes_nothing(order):
    made = ask(order)
    with pytest.raises(InvalidInput) as refused:
        answer_request(made, answer="  ", actor=ADMIN)
    db.session.rollback()
    assert "answer" in refused.value.fields
    db.session.expire_all()
    assert db.session.get(OrderRequest, made.id).status == RequestStatus.OPEN
