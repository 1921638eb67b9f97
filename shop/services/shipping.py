"""Shipments (seed 002's shipping tracking): the parcel handed to a carrier with its tracking
number, the carrier's public tracking page, and the order moved to SHIPPED."""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import select

from .. import clock
from ..errors import DuplicateValue, InvalidInput
from ..extensions import db
from ..models import Carrier, EventKind, Order, OrderEvent, OrderStatus, Shipment, ShipmentStatus
from .orders import transition

CARRIER_LABELS = {
    Carrier.JNE: "JNE",
    Carrier.SICEPAT: "SiCepat",
    Carrier.TIKI: "TIKI",
    Carrier.POS: "POS Indonesia",
    Carrier.GOFRESH: "GoFresh",
}

#: The carriers' public tracking pages, "{}" being the tracking number. GoFresh (seed 002)
#: publishes none: its parcels show the number without a link.
TRACKING_PAGES = {
    Carrier.JNE: "https://www.jne.co.id/tracking-package?awb={}",
    Carrier.SICEPAT: "https://www.sicepat.com/checkAwb/{}",
    Carrier.TIKI: "https://www.tiki.id/id/track?connote={}",
    Carrier.POS: "https://www.posindonesia.co.id/id/tracking?barcode={}",
}

#: Air waybill numbers: letters, digits and dashes (JNE123456789, 0026-1234-5678).
TRACKING_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{3,63}")


def clean_carrier(raw) -> Carrier:
    """One of seed 002's carriers (jne, sicepat, tiki, pos, gofresh). Raises InvalidInput."""
    try:
        return Carrier(str(raw or "").strip().lower())
    except ValueError:
        raise InvalidInput("Kurir tidak dikenal.", fields={
            "carrier": "Pilih: " + ", ".join(c.value for c in Carrier)}) from None


def clean_tracking_number(raw) -> str:
    """The tracking number in capitals without spaces. Raises InvalidInput."""
    number = "".join(raw.split()).upper() if isinstance(raw, str) else ""
    if not TRACKING_NUMBER.fullmatch(number):
        raise InvalidInput("Nomor resi tidak valid.", fields={
            "tracking_number": "4-64 huruf, angka atau tanda -."})
    return number


def carrier_tracking_url(carrier: Carrier | str, number: str) -> str | None:
    """The carrier's public tracking page for this parcel, None where it has none."""
    page = TRACKING_PAGES.get(Carrier(carrier))
    return page.format(quote(number, safe="")) if page else None


def shipment_note(carrier: Carrier, number: str) -> str:
    """What the customer and the timeline read: carrier, number and tracking link."""
    link = carrier_tracking_url(carrier, number)
    text = f"Dikirim dengan {CARRIER_LABELS[carrier]}, resi {number}"
    return f"{text}: {link}" if link else text


def can_add_shipment(order: Order) -> bool:
    """Whether a parcel may be recorded: the order may move to SHIPPED, or already has."""
    return order.status == OrderStatus.SHIPPED or order.can_transition_to(OrderStatus.SHIPPED)


def add_shipment(order: Order, carrier, tracking_number, *, actor: str,
                 base_url: str | None = None) -> Shipment:
    """Record a parcel of the order and move it to SHIPPED (one more parcel of a shipped
    order is only recorded). Raises InvalidInput, DuplicateValue, TransitionRefused or
    StaleChange."""
    carrier, number = clean_carrier(carrier), clean_tracking_number(tracking_number)
    known = db.session.scalar(select(Shipment.id).where(
        Shipment.order_id == order.id, Shipment.carrier == carrier,
        Shipment.tracking_number == number))
    if known is not None:
        raise DuplicateValue(f"Resi {number} sudah dicatat untuk pesanan ini.",
                             fields={"tracking_number": "Sudah dicatat."})
    note = shipment_note(carrier, number)
    if order.status != OrderStatus.SHIPPED:
        transition(order, OrderStatus.SHIPPED, actor=actor, note=note, base_url=base_url,
                   notice={"note": None, "carrier": CARRIER_LABELS[carrier],
                           "carrier_code": carrier.value, "tracking_number": number})
    now = clock.now()
    shipment = Shipment(order_id=order.id, carrier=carrier, tracking_number=number,
                        status=ShipmentStatus.IN_TRANSIT, actor=actor, created_at=now,
                        updated_at=now)
    db.session.add(shipment)
    db.session.add(OrderEvent(
        order_id=order.id, kind=EventKind.SHIPMENT, actor=actor, note=note, created_at=now,
        data={"carrier": carrier.value, "tracking_number": number}))
    db.session.flush()
    return shipment
