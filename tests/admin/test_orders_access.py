"""The order pages' walls: store scope on every page, action, export and search; CSRF on every
POST; shoppers' text escaped; a list whose statement count does not grow with its rows."""

from __future__ import annotations

import csv
import io

import pytest
from flask import g
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Order, OrderEvent, OrderStatus, Payment, Shipment
from shop.services.orders import transition

from ..conftest import counted


def text(answer) -> str:
    return answer.get_data(as_text=True)


def state(order_id: str) -> tuple:
    """Everything an action could change about an order."""
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    events = db.session.scalar(select(func.count()).where(OrderEvent.order_id == order_id))
    payments = db.session.scalar(select(func.count()).where(Payment.order_id == order_id))
    shipments = db.session.scalar(select(func.count()).where(Shipment.order_id == order_id))
    return (order.status, order.payment_status, order.total, order.customer_id,
            order.admin_notes, events, payments, shipments)


@pytest.fixture
def b_order(make, two_stores):
    """An order of store B, in PROCESSING so every action would apply to it."""
    _a, b = two_stores
    placed = make.order(b, items=[("B-1", 1)], name="Pembeli B", phone="081377778888")
    transition(db.session.get(Order, placed.id), OrderStatus.PROCESSING, actor="test")
    db.session.commit()
    return placed


def test_store_a_admin_gets_404_for_store_b_orders_everywhere(login_as, two_stores, b_order):
    a, b = two_stores
    admin = login_as("admin", [a])
    before = state(b_order.id)
    other = make_customer_of(b)
    oid = b_order.id

    gets = [f"/admin/order/details/?id={oid}", f"/admin/order/{oid}/edit",
            f"/admin/order/manual/?store_id={b.id}"]
    posts = {
        f"/admin/order/{oid}/status": {"status": "COMPLETED"},
        f"/admin/order/{oid}/payment": {"method": "cod", "amount": "40000"},
        f"/admin/order/{oid}/shipment": {"carrier": "jne", "tracking_number": "JNE999"},
        f"/admin/order/{oid}/edit": {"admin_notes": "dibajak", "discount": "1"},
        f"/admin/order/{oid}/customer": {"customer_id": other.id},
        "/admin/order/manual/": {"store_id": b.id, "name": "X", "phone": "081234567890",
                                 "address": "Y", "item_code": "B-1", "item_qty": "1"},
    }
    for url in gets:
        assert admin.get(url).status_code == 404, url
    for url, data in posts.items():
        assert admin.post(url, data=data).status_code == 404, url
    assert state(oid) == before
    assert db.session.scalar(select(func.count()).select_from(Order)
                             .where(Order.store_id == b.id)) == 1


def make_customer_of(store):
    from shop.models import Customer

    customer = Customer(store_id=store.id, phone="6281511112222", name="Lain")
    db.session.add(customer)
    db.session.commit()
    return customer


def test_store_a_admin_sees_nothing_of_store_b_in_list_search_export_and_bulk(
        login_as, make, two_stores, b_order):
    a, b = two_stores
    mine = make.order(a, items=[("A-1", 1)], name="Pembeli A", phone="081366665555")
    admin = login_as("admin", [a])
    before = state(b_order.id)

    listing = text(admin.get("/admin/order/"))
    assert mine.number in listing and "Pembeli B" not in listing
    for query in (b_order.id, b_order.number, "Pembeli B", "0813-7777-8888"):
        found = text(admin.get("/admin/order/", query_string={"search": query}))
        assert f'name="ids" value="{b_order.id}"' not in found, query
        assert f"?id={b_order.id}" not in found, query
    # B's number is also A's first number of the day: only A's order is found by it
    assert text(admin.get("/admin/order/", query_string={"search": b_order.id})).count(
        'name="ids"') == 0
    assert "Pembeli A" not in text(admin.get(f"/admin/order/?store_id={b.id}"))
    assert f'value="{b.id}"' not in listing  # store B is not even an option
    export = text(admin.get("/admin/order/export.csv"))
    assert mine.id in export and b_order.id not in export
    assert b_order.id not in text(admin.get(f"/admin/order/export.csv?search={b_order.id}"))

    answer = admin.post("/admin/order/bulk", data={"ids": [b_order.id], "status": "COMPLETED"},
                        follow_redirects=True)
    assert "Pilih minimal satu pesanan." in text(answer)
    admin.post("/admin/order/bulk", data={"ids": [b_order.id, mine.id], "status": "CONFIRMED"})
    assert state(b_order.id) == before
    assert db.session.get(Order, mine.id).status == OrderStatus.CONFIRMED


def test_a_super_admin_works_on_every_store(login_as, two_stores, b_order):
    admin = login_as("super_admin")
    assert admin.get(f"/admin/order/details/?id={b_order.id}").status_code == 200
    assert b_order.number in text(admin.get("/admin/order/"))
    admin.post(f"/admin/order/{b_order.id}/status",
               data={"status": "COMPLETED", "expected": "PROCESSING"})
    assert state(b_order.id)[0] == OrderStatus.COMPLETED


def test_anonymous_people_are_sent_to_the_login_page(client, b_order):
    for url in ("/admin/order/", f"/admin/order/details/?id={b_order.id}",
                "/admin/order/export.csv", "/admin/order/manual/"):
        answer = client.get(url)
        assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"], url
    answer = client.post(f"/admin/order/{b_order.id}/status", data={"status": "COMPLETED"})
    assert answer.status_code == 302
    assert state(b_order.id)[0] == OrderStatus.PROCESSING


def test_unknown_or_malformed_ids_are_404(login_as, two_stores):
    admin = login_as("super_admin")
    for order_id in ("c" + "0" * 25, "x", "c" * 200, "c%00" + "0" * 22):
        assert admin.get(f"/admin/order/details/?id={order_id}").status_code == 404
        assert admin.post(f"/admin/order/{order_id}/status",
                          data={"status": "CONFIRMED"}).status_code == 404
    assert admin.get("/admin/order/details/").status_code == 404


def test_every_post_without_a_csrf_token_is_refused(app, login_as, two_stores, b_order):
    a, b = two_stores
    admin = login_as("super_admin")
    before = state(b_order.id)
    oid = b_order.id
    urls = [f"/admin/order/{oid}/status", f"/admin/order/{oid}/payment",
            f"/admin/order/{oid}/shipment", f"/admin/order/{oid}/edit",
            f"/admin/order/{oid}/customer", "/admin/order/manual/", "/admin/order/bulk",
            f"/admin/order/edit/?id={oid}", "/admin/order/delete/", "/admin/order/action/",
            "/admin/order/new/"]
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for url in urls:
            answer = admin.post(url, data={"status": "COMPLETED", "ids": oid, "id": oid,
                                           "store_id": b.id, "admin_notes": "x"})
            assert answer.status_code == 400, url
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert state(oid) == before


def test_the_pages_forms_carry_the_csrf_token(app, login_as, two_stores, b_order):
    admin = login_as("super_admin")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = text(admin.get(f"/admin/order/details/?id={b_order.id}"))
        token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        assert page.count(f'name="csrf_token" value="{token}"') >= 4
        answer = admin.post(f"/admin/order/{b_order.id}/status",
                            data={"status": "COMPLETED", "expected": "PROCESSING",
                                  "csrf_token": token})
        assert answer.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert state(b_order.id)[0] == OrderStatus.COMPLETED


SCRIPT = "<script>alert(1)</script>"


def test_shoppers_text_is_escaped_in_list_detail_and_edit_and_inert_in_the_export(
        login_as, make):
    store = make.store("toko-x", name="Toko X")
    make.product(store, "XSS", "10000", name=f"Menu {SCRIPT}")
    placed = make.order(store, items=[("XSS", 1)], name=f"=HYPERLINK(1) {SCRIPT}",
                        address=f"Jl. {SCRIPT}", notes=f"Catatan {SCRIPT}")
    admin = login_as("admin", [store])

    pages = {"list": admin.get("/admin/order/"),
             "detail": admin.get(f"/admin/order/details/?id={placed.id}"),
             "edit": admin.get(f"/admin/order/{placed.id}/edit"),
             "search": admin.get("/admin/order/", query_string={"search": SCRIPT})}
    for name, page in pages.items():
        body = text(page)
        assert page.status_code == 200, name
        assert SCRIPT not in body, name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(pages["list"])
    detail = text(pages["detail"])
    for shown in ("Menu &lt;script&gt;", "Jl. &lt;script&gt;", "Catatan &lt;script&gt;"):
        assert shown in detail

    export = admin.get("/admin/order/export.csv")
    assert export.mimetype == "text/csv" and export.headers["X-Content-Type-Options"] == "nosniff"
    assert export.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(text(export).lstrip("\ufeff"))))
    assert rows[1][5] == f"'=HYPERLINK(1) {SCRIPT}"  # a formula neutralised, the text as data


def fresh_request() -> None:
    """Start the next request as production does: an empty session, no signed-in admin or
    scope remembered (pytest-flask keeps one app context, and so one `g`, per test)."""
    db.session.expunge_all()
    g.pop("_login_user", None)
    g.pop("admin_scope", None)


def test_the_list_costs_the_same_statements_whatever_its_size(login_as, make, two_stores,
                                                             count_queries):
    a, _b = two_stores
    admin = login_as("admin", [a])
    make.order(a, items=[("A-1", 1)])
    fresh_request()
    with count_queries() as one:
        assert admin.get("/admin/order/?per_page=100").status_code == 200
    for _ in range(60):
        make.order(a, items=[("A-1", 2)])
    fresh_request()
    with count_queries() as many:
        page = admin.get("/admin/order/?per_page=100&search=Budi&status=PENDING")
    assert text(page).count('name="ids"') == 61
    # the admin, its stores (scope), the store filter's options, the count, the page
    assert len(counted(one)) == len(counted(many)) == 5


def test_the_detail_page_costs_the_same_statements_whatever_the_order_holds(
        login_as, make, count_queries):
    store = make.store("toko-y", name="Toko Y")
    codes = [make.product(store, f"P{i}", "1000").code for i in range(12)]
    small = make.order(store, items=[(codes[0], 1)])
    big = make.order(store, items=[(code, 2) for code in codes])
    for status in ("CONFIRMED", "PROCESSING"):
        transition(db.session.get(Order, big.id), status, actor="test")
    db.session.commit()
    admin = login_as("admin", [store])
    fresh_request()
    with count_queries() as few:
        assert admin.get(f"/admin/order/details/?id={small.id}").status_code == 200
    fresh_request()
    with count_queries() as lots:
        assert admin.get(f"/admin/order/details/?id={big.id}").status_code == 200
    # the admin, its stores, the order with store and customer, items, events, payments,
    # shipments, notifications, the edited templates their texts are rendered from, the
    # customers' change requests
    assert len(counted(few)) == len(counted(lots)) == 10
