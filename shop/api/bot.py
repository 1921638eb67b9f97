"""The bot tools API of seed 002 under /api/bot, for a store's support chatbot. Every call
needs `Authorization: Bearer <key>` with a live key of the store (made in the back office or
by `flask create-api-key`); a key in the query string is refused even when it is valid (URLs
end up in logs and proxies). The key decides the store; `customerId` or `phone` decides
whose orders a call may reach. The views parse and format; shop.services.bot_tools decides."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, g, jsonify, request

from ..errors import BadRequest, NotSignedIn
from ..extensions import db
from ..models import ApiKey
from ..portal.auth import bearer_token
from ..services.api_keys import authenticate_api_key
from ..services.bot_tools import ShipmentInfo, TrackedOrder, track_order
from ..services.money import money_json
from ..unit_of_work import commit

bp = Blueprint("bot", __name__, url_prefix="/api/bot")

#: Query parameters a key must never come in.
KEY_PARAMETERS = ("api_key", "apikey", "key", "token", "access_token")
KEY_IN_URL = "Kirim API key di header Authorization: Bearer, bukan di URL."


@bp.before_request
def require_api_key():
    """Every call needs a live key in the Authorization header (401 JSON otherwise)."""
    if any(name in request.args for name in KEY_PARAMETERS):
        raise NotSignedIn(KEY_IN_URL)
    try:
        g.bot_key = authenticate_api_key(bearer_token())
        commit()  # last_used_at is kept whatever the call answers
    except NotSignedIn:
        db.session.rollback()
        raise


@bp.errorhandler(NotSignedIn)
def not_signed_in(error: NotSignedIn):
    """401 with the scheme the API expects."""
    return jsonify(error.to_json()), 401, {"WWW-Authenticate": 'Bearer realm="bot"'}


@bp.after_request
def not_stored(response):
    """Customers' orders are never kept by a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def current_key() -> ApiKey:
    return g.bot_key


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Body harus berupa objek JSON.")
    return body


def iso(value: datetime | None) -> str | None:
    """A moment in UTC as seed 002 writes it: 2025-11-26T00:00:00Z."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _customer(body: dict) -> dict:
    return {"customer_ref": body.get("customerId"), "phone": body.get("phone")}


@bp.post("/order/track")
def order_track():
    """track_order: the customer's order, its parcel with the carrier's link, its status."""
    body = _body()
    order_ref = body.get("orderNumber")
    if order_ref is None or order_ref == "":
        order_ref = body.get("orderId")  # the order's id works as well as its number
    tracked = track_order(current_key().store, order_ref=order_ref, **_customer(body))
    return jsonify(track_json(tracked))


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
    """Seed 002's answer (success, tracking, orderStatus) with the order beside it;
    `tracking` is null until the order is shipped."""
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
