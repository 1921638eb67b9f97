"""Transfer proofs in the back office: the proof beside its order, confirm or reject."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from shop.extensions import db
from shop.models import Order, Payment, PaymentRecordStatus, PaymentStatus


@pytest.fixture
def proof(app, client, make, burger, tmp_path):
    """A shopper's order with a proof sent from the tracking page."""
    saved = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    placed = make.order(burger, items=[("BRG-CHEESE", 2), ("FRIES", 1)],
                        payment_method="bank_transfer")
    picture = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 160, 90)).save(picture, format="PNG")
    sent = client.post(f"/track/{placed.id}/payment-proof",
                       data={"proof": (io.BytesIO(picture.getvalue()), "bukti.png")},
                       content_type="multipart/form-data")
    assert sent.status_code == 303
    payment = db.session.query(Payment).one()
    yield placed, payment
    app.config["UPLOAD_FOLDER"] = saved


def order_row(order_id: str) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def test_review_page_shows_the_proof_beside_the_order(login_as, burger, proof):
    placed, payment = proof
    admin = login_as("admin", [burger])
    page = admin.get(f"/admin/payment/review/?id={payment.id}").get_data(as_text=True)
    assert placed.number in page and "Rp 65.000" in page
    assert f"/admin/payment/proof/{payment.id}" in page
    assert 'id="confirm-proof"' in page and 'id="reject-proof"' in page
    image = admin.get(f"/admin/payment/proof/{payment.id}")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert "no-store" in image.headers["Cache-Control"]


def test_confirming_the_proof_makes_the_order_paid(login_as, burger, proof):
    placed, payment = proof
    admin = login_as("admin", [burger])
    answer = admin.post("/admin/payment/decide/", data={
        "id": payment.id, "decision": "confirm", "reference": "BCA 0112"})
    assert answer.status_code == 302
    assert order_row(placed.id).payment_status == PaymentStatus.PAID
    record = db.session.get(Payment, payment.id)
    assert (record.status, record.reference) == (PaymentRecordStatus.CONFIRMED, "BCA 0112")
    page = admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'id="confirm-proof"' not in page  # decided: no more buttons


def test_rejecting_needs_a_reason_which_the_shopper_then_reads(login_as, burger, proof,
                                                                client):
    placed, payment = proof
    admin = login_as("admin", [burger])
    admin.post("/admin/payment/decide/", data={"id": payment.id, "decision": "reject",
                                               "reason": " "})
    assert order_row(placed.id).payment_status == PaymentStatus.AWAITING_CONFIRMATION

    admin.post("/admin/payment/decide/", data={"id": payment.id, "decision": "reject",
                                               "reason": "Nominal <b>kurang</b>"})
    assert order_row(placed.id).payment_status == PaymentStatus.PENDING
    tracking = client.get(f"/track/{placed.id}").get_data(as_text=True)
    assert "Nominal &lt;b&gt;kurang&lt;/b&gt;" in tracking
    assert 'id="proof-form"' in tracking  # the shopper may send a new one


def test_other_stores_and_anonymous_visitors_see_no_proof(login_as, make, proof, client):
    _placed, payment = proof
    other = login_as("admin", [make.store("lain")])
    assert other.get(f"/admin/payment/review/?id={payment.id}").status_code == 404
    assert other.get(f"/admin/payment/proof/{payment.id}").status_code == 404
    other.post("/admin/payment/decide/", data={"id": payment.id, "decision": "confirm"})
    assert db.session.get(Payment, payment.id).status == PaymentRecordStatus.SUBMITTED
    assert client.get(f"/admin/payment/proof/{payment.id}").status_code == 302
