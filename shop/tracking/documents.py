"""The shopper's invoice, downloaded from the tracking page as a PDF (issue 15): the order id
is the capability, like the page's; an unknown id gets the same 404."""

from __future__ import annotations

from ..errors import NotFound
from ..services.invoices import invoice_download
from ..services.orders import get_order
from ..services.tracking import ORDER_ID
from ..template_i18n import gettext as _
from . import bp


@bp.get("/track/<order_id>/invoice.pdf")
def invoice_pdf(order_id: str):
    """The order's A4 invoice as a PDF attachment, never cached, not indexed."""
    if not ORDER_ID.match(order_id or ""):
        raise NotFound(_("Pesanan tidak ditemukan."))
    response = invoice_download(get_order(order_id))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
