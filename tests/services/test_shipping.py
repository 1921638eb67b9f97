"""Shipments (seed 002): carriers' public tracking links, a parcel recorded, order SHIPPED."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.errors import DuplicateValue, InvalidInput, TransitionRefused
from shop.extensions import db
from shop.models import (
    Carrier,
    EventKind,
    Notification,
    Order,
    OrderEvent,
    OrderStatus,
    Shipment,
    ShipmentStatus,
)
from shop.services.order_notices import order_notice_link, order_notice_text
from shop.services.orders import transition
from shop.services.shipping import (
    add_shipment,
    can_add_shipment,
    carrier_tracking_url,
    clean_tracking_number,
)

from ..messages import text_of


@pytest.mark.parametrize("carrier, url", [
    ("jne", "https://www.jne.co.id/tracking-package?awb=JNE123456789"),
    ("sicepat", "https://www.sicepat.com/checkAwb/JNE123456789"),
    ("tiki", "https://www.tiki.id/id/track?connote=JNE123456789"),
    ("pos", "https://www.posindonesia.co.id/id/tracking?barcode=JNE123456789"),
    ("gofresh", None),
])
def test_each_carrier_of_seed_002_has_its_public_tracking_page(carrier, url):
    assert carrier_tracking_url(carrier, "JNE123456789") == url


def test_a_tracking_number_cannot_break_out_of_the_link():
    assert carrier_tracking_url(Carrier.JNE, "A&b=1/x") == \
        "https://www.jne.co.id/tracking-package?awb=A%26b%3D1%2Fx"


def test_tracking_numbers_are_written_one_way():
    assert clean_tracking_number(" jne 1234 5678 ") == "JNE12345678"
    for bad in ("", "12", "JNE?123", "<script>", None, 123, "x" * 65):
        with pytest.raises(InvalidInput):
            clean_tracking_number(bad)


def processing_order(make, burger) -> Order:
    placed = make.order(burger, items=[("BRG-CHEESE", 2), ("FRIES", 1)])
    order = db.session.get(Order, placed.id)
    transition(order, OrderStatus.PROCESSING, actor="test")
    db.session.commit()
    return order


def test_a_parcel_moves_the_order_to_shipped_and_tells_the_customer(make, burger):
    order = processing_order(make, burger)

    shipment = add_shipment(order, "jne", "jne123456789", actor="admin:a@toko.test")
    db.session.commit()

    assert order.status == OrderStatus.SHIPPED
    assert (shipment.carrier, shipment.tracking_number, shipment.status, shipment.actor) == (
        Carrier.JNE, "JNE123456789", ShipmentStatus.IN_TRANSIT, "admin:a@toko.test")
    events = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                .order_by(OrderEvent.id)).all()
    status_event, parcel = events[-2], events[-1]
    assert (status_event.kind, status_event.to_status) == (EventKind.STATUS, "SHIPPED")
    assert parcel.kind == EventKind.SHIPMENT
    assert parcel.data == {"carrier": "jne", "tracking_number": "JNE123456789"}
    link = "https://www.jne.co.id/tracking-package?awb=JNE123456789"
    assert link in parcel.note
    message = db.session.scalars(select(Notification).where(
        Notification.order_id == order.id,
        Notification.template == "order_status_shipped")).all()[-1]
    assert link in text_of(message) and "Sedang Dikirim" in text_of(message)
    assert "No. resi: JNE123456789" in text_of(message)


def test_a_pending_order_cannot_be_shipped_and_keeps_no_parcel(make, burger):
    placed = make.order(burger, items=[("FRIES", 1)])
    order = db.session.get(Order, placed.id)
    assert not can_add_shipment(order)

    with pytest.raises(TransitionRefused) as refused:
        add_shipment(order, "sicepat", "SCP0001", actor="test")
    db.session.rollback()

    assert "PROCESSING" in refused.value.message  # the allowed ones are named
    assert db.session.get(Order, placed.id).status == OrderStatus.PENDING
    assert db.session.scalars(select(Shipment).where(Shipment.order_id == placed.id)).all() == []


def test_a_second_parcel_of_a_shipped_order_is_only_recorded(make, burger):
    order = processing_order(make, burger)
    add_shipment(order, "jne", "JNE0001", actor="test")
    db.session.commit()
    statuses_before = db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.STATUS)).all()

    add_shipment(order, "tiki", "TIKI0002", actor="test")
    db.session.commit()

    assert len(db.session.scalars(select(Shipment).where(Shipment.order_id == order.id)).all()) \
        == 2
    assert len(db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.STATUS)).all()) == \
        len(statuses_before)


def test_the_same_tracking_number_twice_is_refused(make, burger):
    order = processing_order(make, burger)
    add_shipment(order, "jne", "JNE0001", actor="test")
    db.session.commit()
    with pytest.raises(DuplicateValue):
        add_shipment(order, "jne", "jne 0001", actor="test")


def test_unknown_carriers_are_refused_with_the_list(make, burger):
    order = processing_order(make, burger)
    with pytest.raises(InvalidInput) as refused:
        add_shipment(order, "jnt", "JNT0001", actor="test")
    assert refused.value.fields["carrier"] == "Pilih: jne, sicepat, tiki, pos, gofresh"
    assert order.status == OrderStatus.PROCESSING


def test_the_notice_carries_status_payment_total_parcel_and_tracking_link(make, burger):
    order = processing_order(make, burger)
    shipment = add_shipment(order, "pos", "P0001ID", actor="test")
    db.session.commit()

    text = order_notice_text(order, "https://shop.test/track/x", shipment=shipment)
    link = order_notice_link(order, "https://shop.test/track/x", shipment=shipment)

    assert f"Pesanan #{order.number}" in text
    assert "Status: *Sedang Dikirim*" in text and "Pembayaran: *Menunggu Pembayaran*" in text
    assert "Total: Rp 65.000" in text and "POS Indonesia, resi P0001ID" in text
    assert "https://www.posindonesia.co.id/id/tracking?barcode=P0001ID" in text
    assert text.endswith("Lacak pesanan: https://shop.test/track/x")
    assert link.startswith("https://wa.me/6281234567890?text=")
    assert "%0A" in link and " " not in link
