"""Customers' change requests in the back office: listed open first for the admin's stores,
answered once (the customer WhatsApped), on their own page and on the order's page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Notification, Order, OrderRequest, RequestStatus
from shop.services.order_requests import answer_request, request_change


@pytest.fixture
def asked(make, two_stores):
    """An open request on an order of store A and one on an order of store B."""
    a, b = two_stores
    rows = []
    for store, code, text in ((a, "A-1", "Ganti alamat ke Jl. Thamrin 5"),
                              (b, "B-1", "Tambah satu lagi")):
        placed = make.order(store, items=[(code, 1)])
        rows.append(request_change(db.session.get(Order, placed.id), topic="address",
                                   message=text, last_four="7890"))
    db.session.commit()
    return rows


def notices(template: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.template == template))


def test_the_list_shows_the_admins_own_stores_requests_open_first(login_as, two_stores, asked,
                                                                  make):
    a, _b = two_stores
    mine, _theirs = asked
    older = make.order(a, items=[("A-1", 1)])
    done = request_change(db.session.get(Order, older.id), topic="note", message="Tanpa es",
                          last_four="7890")
    answer_request(done, answer="Siap", actor="admin:x@toko.test")
    db.session.commit()
    admin = login_as("admin", [a])

    page = admin.get("/admin/order-requests/").get_data(as_text=True)
    assert "Permintaan Pelanggan" in page
    assert "Ganti alamat ke Jl. Thamrin 5" in page and "Tambah satu lagi" not in page
    assert page.index("Ganti alamat") < page.index("Tanpa es")  # open first
    assert f"/admin/order/details/?id={mine.order_id}" in page
    only_open = admin.get("/admin/order-requests/?flt_status_equals=open").get_data(
        as_text=True)
    assert "Ganti alamat" in only_open and "Tanpa es" not in only_open


def test_answering_closes_the_request_and_whatsapps_the_customer(login_as, two_stores, asked):
    mine, _ = asked
    admin = login_as("admin", [two_stores[0]])
    page = admin.get(f"/admin/order-requests/answer/?id={mine.id}").get_data(as_text=True)
    assert "Ganti alamat ke Jl. Thamrin 5" in page and f'id="answer-{mine.id}"' in page

    answer = admin.post("/admin/order-requests/answer/",
                        data={"id": mine.id, "answer": "Alamat sudah kami ganti."})

    assert answer.status_code == 302
    db.session.expire_all()
    row = db.session.get(OrderRequest, mine.id)
    assert (row.status, row.answer) == (RequestStatus.ANSWERED, "Alamat sudah kami ganti.")
    assert row.answered_by == f"admin:{admin.admin.email}"
    told = db.session.scalars(select(Notification).where(
        Notification.template == "change_request_answer")).one()
    assert told.recipient == "6281234567890"
    page = admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Jawaban terkirim" in page and f'id="answer-{mine.id}"' not in page


def test_a_second_answer_is_refused(login_as, two_stores, asked):
    mine, _ = asked
    admin = login_as("admin", [two_stores[0]])
    admin.post("/admin/order-requests/answer/", data={"id": mine.id, "answer": "Pertama"})

    again = admin.post("/admin/order-requests/answer/", data={"id": mine.id, "answer": "Kedua"})
    page = admin.get(again.headers["Location"]).get_data(as_text=True)
    assert "sudah dijawab" in page
    db.session.expire_all()
    assert db.session.get(OrderRequest, mine.id).answer == "Pertama"
    assert notices("change_request_answer") == 1


def test_an_empty_answer_is_refused_and_changes_nothing(login_as, two_stores, asked):
    mine, _ = asked
    admin = login_as("admin", [two_stores[0]])
    answer = admin.post("/admin/order-requests/answer/", data={"id": mine.id, "answer": " "})
    assert "Jawaban wajib diisi." in admin.get(answer.headers["Location"]).get_data(
        as_text=True)
    db.session.expire_all()
    assert db.session.get(OrderRequest, mine.id).status == RequestStatus.OPEN
    assert notices("change_request_answer") == 0


def test_another_stores_request_is_404_and_cannot_be_answered(login_as, two_stores, asked):
    _, theirs = asked
    admin = login_as("admin", [two_stores[0]])
    assert admin.get(f"/admin/order-requests/answer/?id={theirs.id}").status_code == 404
    assert admin.get(f"/admin/order-requests/details/?id={theirs.id}").status_code in (
        302, 404)
    assert admin.get("/admin/order-requests/answer/?id=abc").status_code == 404
    posted = admin.post("/admin/order-requests/answer/",
                        data={"id": theirs.id, "answer": "Bukan toko saya"})
    assert posted.status_code == 404
    db.session.expire_all()
    assert db.session.get(OrderRequest, theirs.id).status == RequestStatus.OPEN
    assert notices("change_request_answer") == 0


def test_the_orders_page_lists_its_requests_and_answers_from_there(login_as, two_stores,
                                                                   asked):
    mine, _ = asked
    admin = login_as("admin", [two_stores[0]])
    page = admin.get(f"/admin/order/details/?id={mine.order_id}").get_data(as_text=True)
    assert 'id="order-requests"' in page and "Ganti alamat ke Jl. Thamrin 5" in page
    assert f'id="answer-form-{mine.id}"' in page

    answer = admin.post("/admin/order-requests/answer/",
                        data={"id": mine.id, "answer": "Oke", "back": "order"})
    assert answer.headers["Location"].endswith(f"/admin/order/details/?id={mine.order_id}")
    page = admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Oke" in page and f'id="answer-form-{mine.id}"' not in page


def test_a_super_admin_sees_every_stores_requests(login_as, asked):
    admin = login_as("super_admin")
    page = admin.get("/admin/order-requests/").get_data(as_text=True)
    assert "Ganti alamat" in page and "Tambah satu lagi" in page


def test_the_dashboard_counts_the_open_requests_of_the_admins_stores(login_as, two_stores,
                                                                    asked):
    admin = login_as("admin", [two_stores[0]])
    page = admin.get("/admin/").get_data(as_text=True)
    assert 'id="open-requests"' in page
    assert "1 permintaan pelanggan menunggu jawaban" in page  # store B's is not counted
    answer_request(asked[0], answer="Oke", actor="admin:x@toko.test")
    db.session.commit()
    assert 'id="open-requests"' not in admin.get("/admin/").get_data(as_text=True)
