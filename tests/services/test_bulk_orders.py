"""One status change on many orders: each moves where its machine allows it, each refusal
is reported with the order's number and reason, and never undoes the others."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from shop.errors import InvalidInput, StaleChange, TransitionRefused
from shop.extensions import db
from shop.models import EventKind, Order, OrderEvent, OrderStatus, Product
from shop.services.bulk_orders import MAX_BULK, bulk_transition
from shop.services.order_status import change_status
from shop.services.orders import transition


def orders_of(make, store, count, **kwargs) -> list[Order]:
    placed = [make.order(store, items=[("FRIES", 1)], **kwargs) for _ in range(count)]
    return [db.session.get(Order, p.id) for p in placed]


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_allowed_orders_move_and_the_others_are_reported(make, burger):
    first, done, last = orders_of(make, burger, 3)
    for status in (OrderStatus.PROCESSING, OrderStatus.COMPLETED):
        transition(done, status, actor="test")
    db.session.commit()

    report = bulk_transition([first, done, last], "CONFIRMED", actor="admin:a@toko.test",
                             note="Dicek")
    db.session.commit()

    assert sorted(report.moved) == sorted([first.number, last.number])
    assert [number for number, _ in report.refused] == [done.number]
    assert "REFUNDED" in report.refused[0][1]  # the allowed ones are named
    assert [fresh(o).status for o in (first, done, last)] == [
        OrderStatus.CONFIRMED, OrderStatus.COMPLETED, OrderStatus.CONFIRMED]
    moved_event = db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == first.id, OrderEvent.kind == EventKind.STATUS)).one()
    assert (moved_event.actor, moved_event.note) == ("admin:a@toko.test", "Dicek")


def test_an_order_moved_by_someone_else_meanwhile_is_refused_alone(make, burger):
    first, raced = orders_of(make, burger, 2)
    # another admin cancels it behind this session's back
    table = Order.__table__
    db.session.execute(update(table).where(table.c.id == raced.id).values(status="CANCELLED"))

    report = bulk_transition([first, raced], OrderStatus.PROCESSING, actor="test")
    db.session.commit()

    assert report.moved == [first.number]
    assert report.refused[0][0] == raced.number
    assert "diubah oleh orang lain" in report.refused[0][1]
    assert fresh(raced).status == OrderStatus.CANCELLED
    assert fresh(first).status == OrderStatus.PROCESSING


def test_cancel_needs_a_reason_before_anything_moves(make, burger):
    orders = orders_of(make, burger, 2)
    with pytest.raises(InvalidInput) as refused:
        bulk_transition(orders, "CANCELLED", actor="test", note="  ")
    assert refused.value.fields == {"note": "Alasan wajib diisi."}
    assert {fresh(o).status for o in orders} == {OrderStatus.PENDING}


def test_bulk_cancel_with_a_reason_gives_the_stock_back(make, burger):
    placed = [make.order(burger, items=[("COLA", 5)]) for _ in range(2)]
    cola = db.session.scalar(select(Product).where(Product.code == "COLA"))
    assert cola.stock == 40

    report = bulk_transition([db.session.get(Order, p.id) for p in placed], "CANCELLED",
                             actor="test", note="Stok habis di gudang")
    db.session.commit()

    assert len(report.moved) == 2 and report.refused == []
    db.session.refresh(cola)
    assert cola.stock == 50


def test_unknown_targets_empty_and_oversized_selections_are_refused(make, burger):
    orders = orders_of(make, burger, 1)
    with pytest.raises(TransitionRefused):
        bulk_transition(orders, "LOST", actor="test")
    with pytest.raises(InvalidInput):
        bulk_transition([], "CONFIRMED", actor="test")
    with pytest.raises(InvalidInput):
        bulk_transition(orders * (MAX_BULK + 1), "CONFIRMED", actor="test")


def test_a_single_change_refuses_when_the_admin_saw_another_status(make, burger):
    (order,) = orders_of(make, burger, 1)
    transition(order, OrderStatus.CONFIRMED, actor="someone else")
    db.session.commit()

    with pytest.raises(StaleChange) as refused:
        change_status(order, "PROCESSING", actor="test", expected="PENDING")

    assert "CONFIRMED" in refused.value.message and "PROCESSING" in refused.value.message
    assert refused.value.details["allowed"] == ["PROCESSING", "CANCELLED"]
    assert fresh(order).status == OrderStatus.CONFIRMED
