"""The shopper's "Saya sudah bayar" on the tracking page, with the transfer proof."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Order, Payment, PaymentStatus
from shop.services.transfer_proofs import proof_folder


def png_bytes(size=(600, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def order(make, burger, app, tmp_path):
    saved = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    placed = make.order(burger, items=[("BRG-CHEESE", 2), ("FRIES", 1)],
                        payment_method="bank_transfer")
    yield placed
    app.config["UPLOAD_FOLDER"] = saved


def send(client, order_id, data: bytes, name="bukti.png"):
    return client.post(f"/track/{order_id}/payment-proof",
                       data={"proof": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_tracking_page_offers_the_proof_upload_while_unpaid(client, order):
    page = client.get(f"/track/{order.id}").get_data(as_text=True)
    assert 'id="proof-form"' in page and 'enctype="multipart/form-data"' in page


def test_sent_proof_waits_for_the_store_and_the_page_says_so(client, order, app):
    answer = send(client, order.id, png_bytes())

    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "sedang diperiksa" in page and 'id="proof-form"' not in page
    db.session.expire_all()
    assert db.session.get(Order, order.id).payment_status == PaymentStatus.AWAITING_CONFIRMATION
    payment = db.session.scalar(select(Payment))
    with app.app_context():
        assert os.path.exists(os.path.join(proof_folder(), payment.proof))
    # The proof is private: not served with the public uploads.
    assert client.get(f"/uploads/{payment.proof}").status_code == 404


@pytest.mark.parametrize("data, name", [
    (b"this is not a picture", "bukti.jpg"),
    (b"%PDF-1.4 fake", "bukti.png"),
    (b"", "kosong.png"),
])
def test_a_file_that_is_not_a_photo_is_refused_and_changes_nothing(client, order, data, name):
    answer = send(client, order.id, data, name)
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'class="flash error"' in page
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
    assert db.session.get(Order, order.id).payment_status == PaymentStatus.PENDING


def test_a_photo_over_5_mb_is_refused_with_a_clear_message(client, order):
    answer = send(client, order.id, png_bytes() + b"\0" * (6 * 1024 * 1024))
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "terlalu besar" in page.lower()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_unknown_orders_get_the_same_404(client, order):
    assert send(client, "c" + "0" * 25, png_bytes()).status_code == 404
    assert send(client, "not-an-id", png_bytes()).status_code == 404


def test_a_large_photo_under_5_mb_passes_with_csrf_on(app, client, order):
    """Uploads get their larger body limit before anything reads the form."""
    big = io.BytesIO()
    Image.frombytes("RGB", (1200, 1000), os.urandom(1200 * 1000 * 3)).save(big, format="PNG")
    assert 2 * 1024 * 1024 < len(big.getvalue()) < 5 * 1024 * 1024
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        answer = client.post(f"/track/{order.id}/payment-proof",
                             data={"proof": (io.BytesIO(big.getvalue()), "besar.png")},
                             headers={"Sec-Fetch-Site": "same-origin"},
                             content_type="multipart/form-data")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert answer.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_a_body_over_the_upload_limit_gets_an_indonesian_413(client, order):
    answer = send(client, order.id, b"\0" * (25 * 1024 * 1024))
    assert answer.status_code == 413
    assert "Berkas terlalu besar" in answer.get_data(as_text=True)
