"""Back-office views: payments (with transfer-proof review) and shipments (the outbox is in
messages.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, send_from_directory, url_for
from flask_admin import Admin, expose
from flask_admin.model.template import EndpointLinkRowAction
from markupsafe import Markup, escape
from sqlalchemy import select

from ...errors import ShopError
from ...extensions import db
from ...models import Order, Payment, PaymentRecordStatus, Shipment
from ...services.labels import PAYMENT_METHODS
from ...services.money import format_rupiah
from ...services.transfer_proofs import (
    confirm_transfer_proof,
    get_payment,
    proof_folder,
    reject_transfer_proof,
)
from ...unit_of_work import commit
from .base import ScopedModelView, current_scope


def _order_link(view, context, row, name):
    order = row.order
    url = url_for("order.details_view", id=order.id)
    return Markup('<a href="{}">{}</a>').format(url, escape(order.number))


def _money(view, context, row, name):
    return format_rupiah(getattr(row, name))


class OrderRowsView(ScopedModelView):
    """Rows that belong to an order: scoped through the order's store."""

    can_create = can_edit = can_delete = False

    def scope_filter(self):
        return self.model.order_id.in_(
            select(Order.id).where(current_scope().where(Order.store_id)))

    def store_of(self, row) -> int | None:
        return row.order.store_id if row is not None else None


class PaymentView(OrderRowsView):
    """Payments and transfer proofs; a submitted proof is confirmed or rejected here."""

    column_list = ("created_at", "order", "method", "amount", "status", "reference", "actor",
                   "decided_by")
    column_default_sort = ("created_at", True)
    column_filters = ("status", "method", "created_at")
    column_labels = {"created_at": "Waktu", "order": "Pesanan", "method": "Metode",
                     "amount": "Jumlah", "reference": "Referensi", "actor": "Oleh",
                     "decided_by": "Diputuskan oleh"}
    column_formatters = {"order": _order_link, "amount": _money,
                         "method": lambda v, c, r, n: PAYMENT_METHODS.get(r.method or "", "")}
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-search", "payment.review")]
    can_export = True
    column_export_list = ("created_at", "order.number", "method", "amount", "status",
                          "reference", "actor", "decided_by", "note")

    def get_query(self):
        return super().get_query().options(db.joinedload(Payment.order))

    @expose("/review/")
    def review(self):
        """The proof beside its order, with confirm and reject."""
        payment = self.get_one(request.args.get("id", ""))
        if payment is None:
            abort(404)
        return self.render("admin/payments/review.html", payment=payment, order=payment.order,
                           submitted=payment.status == PaymentRecordStatus.SUBMITTED)

    @expose("/decide/", methods=["POST"])
    def decide(self):
        """Confirm (-> PAID) or reject (-> PENDING, with a reason) a submitted proof."""
        payment = self.get_one(request.form.get("id", ""))
        if payment is None:
            abort(404)
        actor = current_scope().actor
        try:
            if request.form.get("decision") == "confirm":
                confirm_transfer_proof(payment, actor=actor,
                                       reference=request.form.get("reference"))
            else:
                reject_transfer_proof(payment, actor=actor, reason=request.form.get("reason"))
        except ShopError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            commit()
            flash("Bukti transfer diterima." if payment.status == PaymentRecordStatus.CONFIRMED
                  else "Bukti transfer ditolak.", "success")
        return redirect(url_for(".review", id=payment.id))

    @expose("/proof/<int:payment_id>")
    def proof(self, payment_id: int):
        """The proof image, only to admins of the order's store."""
        try:
            payment = get_payment(payment_id)
        except ShopError:
            abort(404)
        if not payment.proof or not current_scope().allows(payment.order.store_id):
            abort(404)
        response = send_from_directory(proof_folder(), payment.proof, max_age=0)
        response.headers["Cache-Control"] = "private, no-store"
        return response


class ShipmentView(OrderRowsView):
    """Shipments with the carrier's public tracking link."""

    column_list = ("created_at", "order", "carrier", "tracking_number", "status", "actor")
    column_default_sort = ("created_at", True)
    column_filters = ("carrier", "status", "created_at")
    column_searchable_list = ("tracking_number",)
    column_labels = {"created_at": "Waktu", "order": "Pesanan", "carrier": "Kurir",
                     "tracking_number": "No. Resi", "actor": "Oleh"}
    column_formatters = {"order": _order_link}

    def get_query(self):
        return super().get_query().options(db.joinedload(Shipment.order))


def register(admin: Admin) -> None:
    """Payments and shipments, under "Pembayaran"."""
    category = "Pembayaran"
    admin.add_view(PaymentView(Payment, name="Pembayaran", category=category,
                               endpoint="payment"))
    admin.add_view(ShipmentView(Shipment, name="Pengiriman", category=category,
                                endpoint="shipment"))
