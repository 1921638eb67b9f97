"""The bodies the bot tools take and answer (seed 002's shapes, camelCase as there): the
same models validate a call, describe it in /api/openapi.json and become the input schema
of the tool definitions an LLM is given (GET /api/bot/tools)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from ..services.bot_tools import ShipmentInfo, TrackedOrder
from ..services.money import money_json
from .schema import Schema

#: Who the bot is talking to: one of the two scopes every order lookup.
CUSTOMER_ID = "The customer's id (`customer.id` of the checkout answer)."
PHONE = "The customer's WhatsApp number, in any usual form (0812..., +62 812..., 62812...)."
ORDER_NUMBER = "The order number (ORD-20251120-001) or the order's id."


class CustomerScope(Schema):
    """customerId or phone: whose orders the call may reach."""

    customerId: str | None = Field(None, max_length=64, description=CUSTOMER_ID)
    phone: str | None = Field(None, max_length=32, description=PHONE)


class TrackInput(CustomerScope):
    orderNumber: str | None = Field(None, max_length=64, description=ORDER_NUMBER)
    orderId: str | None = Field(None, max_length=64,
                                description="The order's id, when no number is given.")


def iso(value: datetime | None) -> str | None:
    """A moment in UTC as seed 002 writes it: 2025-11-26T00:00:00Z."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Shipment(Schema):
    orderNumber: str
    trackingNumber: str
    carrier: str
    carrierName: str
    trackingUrl: str | None
    status: str
    currentLocation: str | None
    estimatedDelivery: str | None
    shippedAt: str | None


class TrackedOrderJson(Schema):
    id: str
    orderNumber: str
    status: str
    paymentStatus: str
    total: str
    courier: str | None
    createdAt: str | None


class TrackAnswer(Schema):
    """Seed 002's answer (success, tracking, orderStatus) with the order beside it;
    `tracking` is null until the order is shipped."""

    success: bool
    tracking: Shipment | None
    orderStatus: str
    order: TrackedOrderJson
    shipments: list[Shipment]


def shipment_json(parcel: ShipmentInfo, number: str) -> dict:
    return {
        "orderNumber": number, "trackingNumber": parcel.tracking_number,
        "carrier": parcel.carrier, "carrierName": parcel.carrier_name,
        "trackingUrl": parcel.tracking_url, "status": parcel.status,
        "currentLocation": parcel.current_location,
        "estimatedDelivery": iso(parcel.estimated_delivery),
        "shippedAt": iso(parcel.shipped_at),
    }


def track_json(tracked: TrackedOrder) -> dict:
    """The TrackAnswer of an order."""
    return {
        "success": True,
        "tracking": shipment_json(tracked.shipment, tracked.number)
        if tracked.shipment else None,
        "orderStatus": tracked.status.value,
        "order": {
            "id": tracked.id, "orderNumber": tracked.number, "status": tracked.status.value,
            "paymentStatus": tracked.payment_status.value, "total": money_json(tracked.total),
            "courier": tracked.courier, "createdAt": iso(tracked.created_at),
        },
        "shipments": [shipment_json(p, tracked.number) for p in tracked.shipments],
    }
