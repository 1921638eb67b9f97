"""An order's documents (issue 15): the A4 invoice and its PDF, the 58 mm receipt and the
packing slip for the admins of the order's store; the PDF for the shopper from the tracking
page; sending the invoice to the customer."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import select, update

from shop.extensions import db
from shop.models import EventKind, Notification, Order, OrderEvent, Store

from ..messages import texts

ADDRESS = {"address": "Jl. Kebon Jeruk No. 5", "district": "Kebon Jeruk",
           "city": "Jakarta Barat", "province": "DKI Jakarta", "postal_code": "11530"}


def order_of(make, store, **fields):
    db.session.execute(update(Store).where(Store.id == store.id)
                       .values(unique_code_enabled=True))
    db.session.commit()
    return make.order(store, items=[("BRG-CHEESE", 2), ("COLA", 1)],
                      payment_method="bank_transfer", **{**ADDRESS, **fields})


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def page(client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.get_data(as_text=True)


def test_the_pdf_invoice_holds_the_number_items_and_total(login_as, make, burger):
    placed = order_of(make, burger)
    admin = login_as("admin", [burger])

    answer = admin.get(f"/admin/order/{placed.id}/invoice.pdf")
    text = pdf_text(answer.data)

    assert answer.headers["Content-Type"] == "application/pdf"
    number = placed.number.replace("ORD-", "INV-")
    assert answer.headers["Content-Disposition"] == f'attachment; filename="invoice-{number}.pdf"'
    assert number in text and f"#{placed.number}" in text
    for line in ("Burger Cheese", "Cola", "Rp 50.000", "Rp 8.000", "Rp 58.000"):
        assert line in text, (line, text)
    assert "Kode unik" in text and "Rp 58.001" in text and "BELUM DIBAYAR" in text


def test_making_a_pdf_leaves_truncated_uploads_refused(login_as, make, burger):
    from PIL import ImageFile

    placed = order_of(make, burger)
    login_as("admin", [burger]).get(f"/admin/order/{placed.id}/invoice.pdf")

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # WeasyPrint's import turns it on


def test_the_pages_show_the_order_for_an_admin_of_its_store(login_as, make, burger):
    placed = order_of(make, burger)
    admin = login_as("admin", [burger])

    invoice = page(admin, f"/admin/order/{placed.id}/invoice")
    receipt = page(admin, f"/admin/order/{placed.id}/receipt")
    slip = page(admin, f"/admin/order/{placed.id}/packing-slip")
    detail = page(admin, f"/admin/order/details/?id={placed.id}")

    assert 'id="invoice-number"><strong>INV-' in invoice and 'id="print-button"' in invoice
    assert 'id="invoice-total">Rp 58.000<' in invoice
    assert 'id="invoice-amount-due">Rp 58.001<' in invoice
    assert 'class="thermal"' in receipt and 'id="receipt-total">Rp 58.000<' in receipt
    label = re.search(r'<section class="label" id="address-label">(.*?)</section>', slip,
                      re.S).group(1)
    for part in ("Budi Santoso", "Jl. Kebon Jeruk No. 5", "Kebon Jeruk", "Jakarta Barat",
                 "DKI Jakarta 11530", placed.number):
        assert part in label, part
    assert "Rp" not in slip  # a packing slip shows no prices
    assert "Burger Cheese" in slip and ">2<" in slip
    for link in ("doc-invoice", "doc-invoice-pdf", "doc-receipt", "doc-packing-slip",
                 "send-invoice"):
        assert f'id="{link}"' in detail


def test_an_admin_of_another_store_gets_a_404(login_as, make, burger):
    placed = order_of(make, burger)
    other = login_as("admin", [make.store()])

    for path in ("invoice", "invoice.pdf", "receipt", "packing-slip"):
        assert other.get(f"/admin/order/{placed.id}/{path}").status_code == 404
    assert other.post(f"/admin/order/{placed.id}/send-invoice").status_code == 404
    assert db.session.scalar(select(Notification.id).where(
        Notification.template == "invoice")) is None


def test_sending_the_invoice_queues_one_message_with_its_link(login_as, make, burger):
    placed = order_of(make, burger)
    admin = login_as("admin", [burger])

    answer = admin.post(f"/admin/order/{placed.id}/send-invoice")

    assert answer.status_code == 302
    sent = texts(order_id=placed.id, template="invoice")
    assert len(sent) == 1
    assert f"https://shop.test/track/{placed.id}/invoice.pdf" in sent[0] or \
        f"/track/{placed.id}/invoice.pdf" in sent[0]
    assert "Rp 58.001" in sent[0] and placed.number.replace("ORD-", "INV-") in sent[0]
    event = db.session.scalar(select(OrderEvent).where(
        OrderEvent.order_id == placed.id, OrderEvent.kind == EventKind.NOTIFICATION))
    assert event is not None and "Invoice" in event.note


def test_the_shopper_downloads_the_invoice_from_the_tracking_page(client, make, burger):
    placed = order_of(make, burger)

    tracking = client.get(f"/track/{placed.id}").get_data(as_text=True)
    answer = client.get(f"/track/{placed.id}/invoice.pdf")

    assert f'href="/track/{placed.id}/invoice.pdf"' in tracking
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert placed.number.replace("ORD-", "INV-") in pdf_text(answer.data)


def test_an_unknown_order_gets_the_tracking_pages_404(client, make, burger):
    placed = order_of(make, burger)
    unknown = "c" + "0" * 25

    missing = client.get(f"/track/{unknown}/invoice.pdf")
    page_404 = client.get(f"/track/{unknown}")
    bad = client.get(f"/track/{placed.id[:-1]}X/invoice.pdf")

    assert missing.status_code == page_404.status_code == bad.status_code == 404
    assert missing.get_data(as_text=True) == page_404.get_data(as_text=True)


def test_a_paid_order_says_so(login_as, make, burger):
    placed = order_of(make, burger)
    db.session.execute(update(Order).where(Order.id == placed.id).values(payment_status="PAID"))
    db.session.commit()

    invoice = page(login_as("admin", [burger]), f"/admin/order/{placed.id}/invoice")

    assert ">LUNAS<" in invoice and "Silakan transfer" not in invoice
