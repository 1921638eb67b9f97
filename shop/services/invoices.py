"""An order's documents: the A4 invoice (also as a PDF), the 58 mm thermal receipt and the
packing slip with the address label, all rendered from the same facts; and sending the
invoice's link to the customer.

The invoice number is the order number with INV instead of ORD (ORD-20261203-001 ->
INV-20261203-001): one number per order, unique in the store like the order's, and found
again from either. The PDF is drawn by WeasyPrint from the invoice page, which may load
nothing but the shop's own static files (no network, no uploads of others)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, make_response, render_template
from sqlalchemy import select

from ..extensions import db
from ..models import EventKind, Order, OrderEvent, OrderItem, PaymentStatus, utcnow
from .orders import tell_customer, tracking_url
from .payments import order_payment_instructions


@dataclass(frozen=True)
class Document:
    """What every document of an order shows."""

    number: str
    order: Order
    store: object
    items: list[OrderItem]
    issued_at: datetime
    paid: bool
    #: How to pay, for an unpaid order (services/payments.py), or None.
    payment: object | None

    @property
    def amount_due(self) -> Decimal:
        return self.order.amount_due


def invoice_number(order: Order) -> str:
    number = order.number
    return "INV-" + number.removeprefix("ORD-") if number.startswith("ORD-") else f"INV-{number}"


def document(order: Order) -> Document:
    items = list(db.session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)
                                    .order_by(OrderItem.id)))
    return Document(number=invoice_number(order), order=order, store=order.store, items=items,
                    issued_at=order.created_at,
                    paid=order.payment_status == PaymentStatus.PAID,
                    payment=order_payment_instructions(order.store, order))


def render_document(order: Order, kind: str, *, for_pdf: bool = False) -> str:
    """The page of one document: "invoice", "receipt" or "packing_slip"."""
    if kind not in ("invoice", "receipt", "packing_slip"):
        raise ValueError(kind)
    return render_template(f"documents/{kind}.html", doc=document(order), for_pdf=for_pdf)


def _static_only_fetcher():
    """WeasyPrint's fetcher (its 70.x URLFetcher): the shop's own static files and data:
    URIs, nothing else (no network, no other file)."""
    from weasyprint.urls import URLFetcher

    root = Path(current_app.static_folder).resolve()

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                path = Path(unquote(urlsplit(url).path)).resolve()
                if not (path.is_relative_to(root) and path.is_file()):
                    raise ValueError(f"not fetched: {url[:80]}")
            elif not url.startswith("data:"):
                raise ValueError(f"not fetched: {url[:80]}")
            return super().fetch(url, headers)

    return StaticOnly(allowed_protocols={"file", "data"})


def _weasyprint():
    """WeasyPrint's HTML class. Importing WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES
    for the whole process, which would let a cut-off photo or transfer proof pass the upload
    check (services/uploads.py): it is turned off again, the invoice having no image."""
    from PIL import ImageFile
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return HTML


def invoice_pdf(order: Order) -> bytes:
    """The A4 invoice as a PDF."""
    HTML = _weasyprint()  # noqa: N806

    base = Path(current_app.static_folder).resolve().as_uri() + "/"
    html = render_document(order, "invoice", for_pdf=True)
    return HTML(string=html, base_url=base, url_fetcher=_static_only_fetcher()).write_pdf()


def pdf_filename(order: Order) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in invoice_number(order))
    return f"invoice-{safe}.pdf"


#: Documents are private to the order: never cached, never indexed.
DOCUMENT_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


def invoice_download(order: Order):
    """The invoice PDF as a download response."""
    response = make_response(invoice_pdf(order))
    response.headers.update(DOCUMENT_HEADERS)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{pdf_filename(order)}"'
    return response


def send_invoice(order: Order, *, actor: str, base_url: str | None = None) -> None:
    """Queue the invoice's link (the PDF on the tracking page) to the customer, recorded on
    the order's timeline."""
    link = f"{tracking_url(order, base_url)}/invoice.pdf"
    tell_customer(order, "invoice", {"invoice_number": invoice_number(order),
                                     "invoice_url": link, "total": str(order.amount_due)},
                  base_url=base_url)
    db.session.add(OrderEvent(order_id=order.id, kind=EventKind.NOTIFICATION, actor=actor,
                              note=f"Invoice {invoice_number(order)} dikirim ke pelanggan",
                              created_at=utcnow()))
