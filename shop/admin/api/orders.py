"""PATCH /api/orders/<id> (seed 000): an admin's edit of an order, totals recomputed."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from ...api.schema import documented
from ...errors import BadRequest, ShopError
from ...extensions import db
from ...models import Order, OrderItem
from ...services.money import money_json
from ...services.order_updates import update_order
from ...services.orders import get_order
from ...unit_of_work import commit
from ..views.base import current_scope
from . import bp
from .schemas import AdminOrderAnswer, EditRefused, OrderPatchBody


@bp.patch("/orders/<order_id>")
@documented(answer=AdminOrderAnswer, body=OrderPatchBody, security="adminSession",
            errors=(400, 403, 404),
            answers={409: EditRefused, 422: EditRefused})
def patch_order(order_id: str):
    """Edit an order of the admin's stores; 200 with the order, 4xx changing nothing."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Body harus berupa objek JSON.")
    order = get_order(order_id)
    current_scope().check(order.store_id, "Pesanan")
    allowed = [s.value for s in order.allowed_transitions()]
    try:
        update_order(order, body, actor=current_scope().actor)
    except ShopError as error:
        db.session.rollback()
        answer = error.to_json()
        answer.setdefault("allowed", allowed)
        return jsonify(answer), error.status
    commit()
    return jsonify({"success": True, "order": order_json(order)})


def order_json(order: Order) -> dict:
    """The order as the checkout answers it (money as strings), with the editable fields."""
    items = db.session.scalars(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)).all()
    return {
        "id": order.id, "number": order.number, "status": order.status.value,
        "payment_status": order.payment_status.value,
        "allowed_statuses": [s.value for s in order.allowed_transitions()],
        "subtotal": money_json(order.subtotal), "discount": money_json(order.discount),
        "shipping_fee": money_json(order.shipping_fee), "total": money_json(order.total),
        "items": [
            {"code": i.code, "name": i.name, "qty": i.qty, "unit_price": money_json(i.unit_price),
             "discount": money_json(i.discount), "subtotal": money_json(i.subtotal)}
            for i in items
        ],
        "customer_id": order.customer_id, "address": order.shipping_address,
        "courier": order.courier, "payment_method": order.payment_method,
        "notes": order.notes, "admin_notes": order.admin_notes,
        "recipient_name": order.recipient_name, "recipient_phone": order.recipient_phone,
    }
