"""POST /api/orders/create-from-checkout (seed 000) for headless storefronts."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import force_locale

from ..errors import BadRequest
from ..extensions import limiter
from ..services.checkout import CheckoutRequest, PlacedOrder, place_order
from ..services.money import money_json
from ..services.stores import get_store
from ..services.validation import check_characters
from ..unit_of_work import commit
from ..web import public_base_url
from . import bp
from .order_schemas import CheckoutAnswer, CheckoutBody
from .schema import documented

TEXT_FIELDS = ("name", "phone", "address", "email", "courier", "payment_method", "notes",
               "idempotency_key", "district", "city", "province", "postal_code")


def _checkout_limit() -> str:
    return current_app.config["CHECKOUT_RATE_LIMIT"]


@bp.post("/orders/create-from-checkout")
@limiter.limit(_checkout_limit)
@documented(answer=CheckoutAnswer, body=CheckoutBody, status=201,
            answers={200: CheckoutAnswer}, errors=(400, 404, 409, 422, 429))
def create_from_checkout():
    """Create the customer (if new) and the order; 201, or 200 for a repeated key."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Body harus berupa objek JSON.")
    slug = check_characters(_field(body, "store", required=True), field="store", label="Toko")
    store = get_store(slug)
    placed = place_order(store, CheckoutRequest(
        items=_items(body.get("items")), **{name: _field(body, name) for name in TEXT_FIELDS},
        locale="en" if body.get("locale") == "en" else "id",
    ), base_url=public_base_url())
    commit()
    return jsonify(order_json(placed)), 201 if placed.created else 200


def _field(body: dict, name: str, *, required: bool = False):
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"'{name}' harus berupa teks.", fields={name: "Harus berupa teks."})
    if required and not value:
        raise BadRequest(f"'{name}' wajib diisi.", fields={name: "Wajib diisi."})
    return value


def _items(raw) -> list[tuple]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(_item_types_ok(item) for item in raw):
        raise BadRequest("'items' harus berupa daftar objek {code, qty}.",
                         fields={"items": "Format: [{\"code\": ..., \"qty\": ...}]"})
    return [(item.get("code"), item.get("qty")) for item in raw]


def _item_types_ok(item) -> bool:
    """An object whose code is text and whose qty is a whole number (or its digits as text)."""
    if not isinstance(item, dict):
        return False
    code, qty = item.get("code"), item.get("qty")
    return (code is None or isinstance(code, str)) and (
        qty is None or (isinstance(qty, int | str) and not isinstance(qty, bool)))


def _payment_json(placed: PlacedOrder) -> dict:
    with force_locale(placed.locale):  # the instructions in the order's language
        return placed.payment.as_json()


def order_json(placed: PlacedOrder) -> dict:
    """The answer of a checkout: order, customer and tracking URL; money as strings."""
    return {
        "success": True,
        "order": {
            "id": placed.id, "number": placed.number, "status": placed.status.value,
            "payment_status": placed.payment_status.value,
            "subtotal": money_json(placed.totals.subtotal),
            "discount": money_json(placed.totals.discount),
            "shipping_fee": money_json(placed.totals.shipping_fee),
            "shipping_fee_pending": placed.shipping_pending,
            "total": money_json(placed.totals.total),
            "items": [
                {"code": ln.code, "name": ln.name, "qty": ln.qty,
                 "unit_price": money_json(ln.unit_price), "subtotal": money_json(ln.subtotal)}
                for ln in placed.lines
            ],
        },
        # Anyone may call this API: no count of the number's past orders, no sequential id.
        "customer": {
            "id": placed.customer.public_id, "name": placed.customer.name,
            "phone": placed.customer.phone,
        },
        "payment": _payment_json(placed) if placed.payment is not None else {
            "method": placed.payment_method, "amount_due": money_json(placed.amount_due),
            "unique_code": placed.unique_code, "instructions": None, "qris": None},
        "trackingUrl": placed.tracking_url,
    }
