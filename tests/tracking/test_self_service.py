"""Self-service on the tracking page: "Minta perubahan" and "Batalkan pesanan" with the last
four digits of the order's WhatsApp number, answered by a 303 back to the page and a flash."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.extensions import db, limiter
from shop.models import (
    EventKind,
    Notification,
    Order,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    PaymentStatus,
    Product,
    RequestStatus,
)
from shop.services.order_requests import answer_request
from shop.services.orders import set_payment_status, transition
from tests.conftest import make_test_app
from tests.factories import Factories

RIGHT, WRONG = "7890", "1234"  # the order's phone is 081234567890


@pytest.fixture
def order(make, burger):
    burger.admin_whatsapp = ["6281333333333"]
    db.session.commit()
    placed = make.order(burger, items=[("COLA", 2)], payment_method="bank_transfer")
    return db.session.get(Order, placed.id)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def state(order_id: str) -> tuple:
    db.session.expire_all()
    row = db.session.get(Order, order_id)
    return (row.status, row.payment_status, count(OrderEvent), count(OrderRequest),
            count(Notification),
            db.session.scalar(select(Product.stock).where(Product.code == "COLA")))


def ask(client, order_id, last_four=RIGHT, message="Tolong ganti alamat ke Jl. Thamrin 5",
        topic="address"):
    return client.post(f"/track/{order_id}/request-change",
                       data={"topic": topic, "message": message, "last_four": last_four})


def cancel(client, order_id, last_four=RIGHT, reason=""):
    return client.post(f"/track/{order_id}/cancel",
                       data={"last_four": last_four, "reason": reason})


def follow(client, answer) -> str:
    assert answer.status_code == 303
    return client.get(answer.headers["Location"]).get_data(as_text=True)


def test_the_page_offers_both_forms_while_pending_and_unpaid(client, order):
    page = client.get(f"/track/{order.id}").get_data(as_text=True)
    assert 'id="request-change-form"' in page and 'id="cancel-form"' in page
    assert "4 angka terakhir nomor WhatsApp pemesan" in page
    assert 'inputmode="numeric"' in page and 'maxlength="4"' in page
    assert "Minta perubahan" in page and "Batalkan pesanan" in page
    assert 'name="csrf_token"' not in page  # other sites are kept out by Fetch Metadata


def test_a_change_request_with_the_right_last_four_is_recorded_and_listed(client, order):
    answer = ask(client, order.id)

    page = follow(client, answer)
    assert answer.headers["Location"].endswith(f"/track/{order.id}")
    assert 'class="flash ok"' in page and "Permintaan Anda terkirim" in page
    assert 'id="order-requests"' in page and "Jl. Thamrin 5" in page
    assert "Menunggu jawaban" in page
    made = db.session.scalars(select(OrderRequest)).one()
    assert made.status == RequestStatus.OPEN
    event = db.session.scalars(select(OrderEvent).where(
        OrderEvent.kind == EventKind.REQUEST)).one()
    assert event.actor == "customer"
    recipients = db.session.scalars(select(Notification.recipient).where(
        Notification.template == "change_request_admin")).all()
    assert sorted(recipients) == ["6281111111111", "6281333333333"]


@pytest.mark.parametrize("last_four", [WRONG, "789", "abcd", ""])
def test_a_wrong_last_four_changes_nothing(client, order, last_four):
    before = state(order.id)

    page = follow(client, ask(client, order.id, last_four=last_four))
    assert 'class="flash error"' in page and "4 angka terakhir" in page
    page = follow(client, cancel(client, order.id, last_four=last_four))
    assert 'class="flash error"' in page
    assert state(order.id) == before
    assert 'id="order-requests"' not in page


def test_a_missing_message_is_refused_with_a_clear_message(client, order):
    before = state(order.id)
    page = follow(client, ask(client, order.id, message="  "))
    assert "Pesan wajib diisi." in page
    assert state(order.id) == before


def test_cancel_with_the_right_last_four_cancels_and_returns_the_stock(client, order):
    page = follow(client, cancel(client, order.id, reason="Salah pilih"))

    assert "Pesanan Anda sudah dibatalkan." in page
    assert 'data-status="CANCELLED"' in page and "Dibatalkan" in page
    assert 'id="cancel-form"' not in page and 'id="request-change-form"' not in page
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.CANCELLED
    assert state(order.id)[-1] == 50
    event = db.session.scalars(select(OrderEvent).where(
        OrderEvent.kind == EventKind.STATUS).order_by(OrderEvent.id.desc())).first()
    assert (event.actor, event.to_status) == ("customer", "CANCELLED")
    assert count(Notification, Notification.template == "order_cancelled_by_customer_admin") == 2


def test_cancel_is_refused_when_paid_and_the_form_is_gone(client, order):
    set_payment_status(order, PaymentStatus.PAID, actor="admin:a@toko.test", notify=False)
    db.session.commit()
    page = client.get(f"/track/{order.id}").get_data(as_text=True)
    assert 'id="cancel-form"' not in page and 'id="request-change-form"' in page
    before = state(order.id)

    page = follow(client, cancel(client, order.id))
    assert 'class="flash error"' in page and "WhatsApp" in page
    assert state(order.id) == before


def test_cancel_is_refused_when_no_longer_pending(client, order):
    transition(order, OrderStatus.CONFIRMED, actor="admin:a@toko.test", notify=False)
    db.session.commit()
    before = state(order.id)
    page = follow(client, cancel(client, order.id))
    assert "hubungi toko lewat WhatsApp" in page
    assert state(order.id) == before


def test_a_shipped_order_offers_neither_form(client, order):
    for target in (OrderStatus.PROCESSING, OrderStatus.SHIPPED):
        transition(order, target, actor="admin:a@toko.test", notify=False)
    db.session.commit()
    page = client.get(f"/track/{order.id}").get_data(as_text=True)
    assert 'id="self-service"' not in page
    before = state(order.id)
    assert 'class="flash error"' in follow(client, ask(client, order.id))
    assert state(order.id) == before


def test_the_answer_shows_on_the_page(client, order):
    ask(client, order.id)
    made = db.session.scalars(select(OrderRequest)).one()
    answer_request(made, answer="Siap, alamat sudah kami ganti.", actor="admin:a@toko.test")
    db.session.commit()
    page = client.get(f"/track/{order.id}").get_data(as_text=True)
    assert "Siap, alamat sudah kami ganti." in page and "Sudah dijawab" in page


def test_unknown_orders_get_the_same_404(client, order):
    for path in ("request-change", "cancel"):
        assert client.post(f"/track/c{'0' * 25}/{path}", data={"last_four": RIGHT}
                           ).status_code == 404
        assert client.post(f"/track/not-an-id/{path}").status_code == 404


def test_in_english_a_missing_message_is_refused_in_english(client, order):
    client.set_cookie("lang", "en")

    page = follow(client, ask(client, order.id, message="  "))

    assert "Message is required." in page and "Pesan" not in page


def test_english_page_texts(client, order):
    client.set_cookie("lang", "en")
    ask(client, order.id)
    page = follow(client, ask(client, order.id, last_four=WRONG))
    for text in ("Request a change", "Cancel the order",
                 "Last 4 digits of the ordering WhatsApp number", "Your requests",
                 "Waiting for an answer", "Address"):
        assert text in page, text
    assert "do not match this order" in page
    for text in ("Minta perubahan", "Batalkan pesanan", "Menunggu jawaban"):
        assert text not in page, text


@pytest.fixture
def limits_off_afterwards(tmp_path):
    """The limiter is one object bound by the last app made: leave it with limits off."""
    yield
    make_test_app(f"sqlite:///{tmp_path / 'after.db'}")
    assert limiter.enabled is False


def test_too_many_posts_for_one_order_from_one_address_get_429(tmp_path, limits_off_afterwards):
    app = make_test_app(f"sqlite:///{tmp_path / 'limit.db'}", RATELIMIT_ENABLED=True,
                        SELF_SERVICE_RATE_LIMIT="3 per hour", PROXY_COUNT=1)
    with app.app_context():
        db.create_all()
        store = Factories().burger_store()
        first = Factories().order(store, items=[("COLA", 1)])
        second = Factories().order(store, items=[("COLA", 1)])
        client = app.test_client()
        here = {"X-Forwarded-For": "10.0.0.1"}
        data = {"topic": "note", "message": "Tanpa es", "last_four": WRONG}
        answers = [client.post(f"/track/{first.id}/request-change", data=data,
                               headers=here).status_code for _ in range(3)]
        answers.append(client.post(f"/track/{first.id}/cancel", data=data,
                                   headers=here).status_code)
        assert answers == [303, 303, 303, 429]  # both forms share the budget
        assert client.post(f"/track/{second.id}/request-change", data=data,
                           headers=here).status_code == 303
        assert client.post(f"/track/{first.id}/request-change", data=data,
                           headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 303
        assert db.session.scalar(select(func.count()).select_from(OrderRequest)) == 0
        db.session.remove()
        db.engine.dispose()
