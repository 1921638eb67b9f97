"""The order detail page's buttons: status change, mark as paid, add a shipment. Each parses
the form, calls one operation, commits or rolls back, and goes back to the detail page."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose

from ...errors import NotFound, ShopError
from ...extensions import db
from ...models import Order
from ...services.labels import ORDER_STATUS_LABELS
from ...services.money import format_rupiah
from ...services.order_search import get_scoped_order
from ...services.order_status import change_status
from ...services.payment_records import record_payment
from ...services.shipping import add_shipment
from ...unit_of_work import commit
from ...web import public_base_url
from .base import current_scope


def order_or_404(order_id: str | None) -> Order:
    """An order of the admin's stores; 404 for any other id, like a missing one."""
    try:
        return get_scoped_order(current_scope(), order_id)
    except NotFound:
        abort(404)


def run_operation(operation: Callable, success: Callable[[object], str]) -> bool:
    """Run one operation: commit and flash its success, or roll back and flash the refusal."""
    try:
        result = operation()
    except ShopError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    commit()
    flash(success(result), "success")
    return True


class OrderActionsMixin:
    """POST routes of the detail page (mixed into the order view)."""

    @expose("/<order_id>/status", methods=["POST"])
    def status_view(self, order_id: str):
        """Move the order along its machine (a reason for cancel and reject)."""
        order = order_or_404(order_id)
        form = request.form
        run_operation(lambda: change_status(
            order, form.get("status"), actor=current_scope().actor, note=form.get("note"),
            expected=form.get("expected"), base_url=public_base_url()),
            lambda o: f"Status {o.number} sekarang {ORDER_STATUS_LABELS[o.status]}.")
        return redirect(url_for(".details_view", id=order_id))

    @expose("/<order_id>/payment", methods=["POST"])
    def payment_view(self, order_id: str):
        """Mark as paid: a confirmed Payment with method, amount and reference."""
        order = order_or_404(order_id)
        form = request.form
        run_operation(lambda: record_payment(
            order, method=form.get("method"), amount=form.get("amount"),
            reference=form.get("reference"), actor=current_scope().actor,
            base_url=public_base_url()),
            lambda p: f"Pembayaran {format_rupiah(p.amount)} dicatat; {order.number} lunas.")
        return redirect(url_for(".details_view", id=order_id))

    @expose("/<order_id>/shipment", methods=["POST"])
    def shipment_view(self, order_id: str):
        """Record a parcel (carrier, tracking number); the order becomes SHIPPED."""
        order = order_or_404(order_id)
        form = request.form
        run_operation(lambda: add_shipment(
            order, form.get("carrier"), form.get("tracking_number"),
            actor=current_scope().actor, base_url=public_base_url()),
            lambda s: f"Resi {s.tracking_number} dicatat; {order.number} sedang dikirim.")
        return redirect(url_for(".details_view", id=order_id))
