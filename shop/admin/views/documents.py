"""An order's documents in the back office (issue 15): the A4 invoice, its PDF, the 58 mm
thermal receipt and the packing slip with the address label, as pages to print; and sending
the invoice to the customer. Routes of the order view, so they share its access rule: an
order of another store is a 404, like a missing one."""

from __future__ import annotations

from flask import flash, make_response, redirect, url_for
from flask_admin import expose

from ...services.invoices import (
    DOCUMENT_HEADERS,
    invoice_download,
    invoice_number,
    render_document,
)
from ...services.invoices import send_invoice as queue_invoice
from ...unit_of_work import commit
from ...web import public_base_url
from .base import current_scope
from .orders_actions import order_or_404


class OrderDocumentsMixin:
    """Document routes of the order view."""

    def _document(self, order_id: str, kind: str):
        response = make_response(render_document(order_or_404(order_id), kind))
        response.headers.update(DOCUMENT_HEADERS)
        return response

    @expose("/<order_id>/invoice")
    def invoice_view(self, order_id: str):
        return self._document(order_id, "invoice")

    @expose("/<order_id>/invoice.pdf")
    def invoice_pdf_view(self, order_id: str):
        return invoice_download(order_or_404(order_id))

    @expose("/<order_id>/receipt")
    def receipt_view(self, order_id: str):
        return self._document(order_id, "receipt")

    @expose("/<order_id>/packing-slip")
    def packing_slip_view(self, order_id: str):
        return self._document(order_id, "packing_slip")

    @expose("/<order_id>/send-invoice", methods=["POST"])
    def send_invoice_view(self, order_id: str):
        """Queue the invoice's link to the customer by WhatsApp (and email where known)."""
        order = order_or_404(order_id)
        queue_invoice(order, actor=current_scope().actor, base_url=public_base_url())
        commit()
        flash(f"Invoice {invoice_number(order)} dikirim ke {order.recipient_name}.", "success")
        return redirect(url_for(".details_view", id=order_id))


