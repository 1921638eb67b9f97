"""Every back-office route against every kind of visitor: anonymous, admin of store A,
admin of store B, super admin; and every write without a CSRF token. The routes come from
the app's URL map, so a new view is covered the day it is added."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import (
    Notification,
    Order,
    Payment,
    PaymentRecordStatus,
    SalesStaff,
    Shipment,
    Shop,
    StaffPosition,
)

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
#: Pages only a super admin may open (user management, store settings, RQ's queues).
SUPER_ADMIN_ONLY = ("admin_users.", "stores.", "queues.")
PUBLIC = ("admin_auth.login", "admin.static")


def admin_rules(app):
    """(method, path, endpoint) of every back-office and admin-API route, with dummy values
    for the path's variables."""
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or not (
                rule.rule.startswith("/admin") or rule.endpoint.startswith("admin_api.")):
            continue
        path = re.sub(r"<int:[^>]+>", "1", rule.rule)
        path = re.sub(r"<[^>]+>", "csv" if "export" in rule.rule else "x", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rules.append((method, path, rule.endpoint))
    return rules


def table_counts() -> dict:
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def call(client, method, path):
    return client.open(path, method=method, data={}, follow_redirects=False)


def test_the_map_has_the_back_office(app):
    endpoints = {e for _, _, e in admin_rules(app)}
    for wanted in ("admin.index", "order.index_view", "customer.index_view",
                   "products.index_view", "stores.index_view", "payment.index_view",
                   "admin_api.patch_order", "admin_api.list_customers"):
        assert wanted in endpoints


def test_anonymous_visitors_are_sent_to_login_or_get_401(app, client, burger):
    before = table_counts()
    for method, path, endpoint in admin_rules(app):
        answer = call(client, method, path)
        if endpoint.startswith("admin_api."):
            assert answer.status_code == 401, (method, path)
            assert answer.get_json()["code"] == "unauthorized"
        else:
            assert answer.status_code == 302, (method, path, answer.status_code)
            assert answer.headers["Location"].startswith("/admin/login"), (method, path)
    assert table_counts() == before


def test_every_write_without_a_csrf_token_is_refused(app, login_as, burger):
    boss = login_as("super_admin")
    before = table_counts()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for method, path, _endpoint in admin_rules(app):
            if method in WRITES:
                answer = call(boss, method, path)
                assert answer.status_code == 400, (method, path, answer.status_code)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert table_counts() == before


def test_store_admins_get_403_on_super_admin_pages(app, login_as, burger):
    admin = login_as("admin", [burger])
    for method, path, endpoint in admin_rules(app):
        if method == "GET" and endpoint.startswith(SUPER_ADMIN_ONLY):
            assert call(admin, method, path).status_code == 403, path


def test_super_admin_opens_every_list(app, login_as, burger, make):
    make.order(burger)
    boss = login_as("super_admin")
    for method, path, endpoint in admin_rules(app):
        if method == "GET" and endpoint.endswith(".index_view") or endpoint == "admin.index":
            assert call(boss, "GET", path).status_code == 200, path


@pytest.fixture
def store_b_rows(make, two_stores):
    """Rows of every kind in store B, with a marker text that must never reach A's admin."""
    a, b = two_stores
    placed = make.order(b, items=[("B-1", 1)], name="Rahasia Toko B", phone="081355501234")
    order = db.session.get(Order, placed.id)
    db.session.add(Payment(order_id=order.id, amount=order.total, method="bank_transfer",
                           status=PaymentRecordStatus.SUBMITTED, actor="customer",
                           reference="RAHASIA-REF"))
    db.session.add(Shipment(order_id=order.id, carrier="jne", tracking_number="RAHASIA123"))
    staff = SalesStaff(store_id=b.id, name="Rahasia Sales", position=StaffPosition.SALES)
    db.session.add(staff)
    db.session.flush()
    db.session.add(Shop(store_id=b.id, code="TK901", name="Rahasia Bengkel",
                        phone="6281399900001", salesman_id=staff.id))
    db.session.commit()
    ids = {
        "order": order.id, "customer": order.customer_id,
        "products": db.session.scalar(select(func.min(Order.id)).where(False)) or None,
        "payment": db.session.scalar(select(Payment.id)),
        "shipment": db.session.scalar(select(Shipment.id)),
        "outbox": db.session.scalar(select(Notification.id).where(
            Notification.order_id == order.id)),
        "dealer_shops": db.session.scalar(select(Shop.id)),
        "sales_staff": staff.id,
    }
    from shop.models import Product
    ids["products"] = db.session.scalar(select(Product.id).where(Product.store_id == b.id))
    return a, b, ids


def test_store_a_admin_never_sees_store_b_rows(app, login_as, store_b_rows):
    a, _b, ids = store_b_rows
    admin = login_as("admin", [a])
    for method, path, endpoint in admin_rules(app):
        if method != "GET" or endpoint.startswith(SUPER_ADMIN_ONLY):
            continue
        page = call(admin, "GET", path)
        assert "Rahasia" not in page.get_data(as_text=True), path
    for view, row_id in ids.items():
        for page in ("details", "edit"):
            answer = call(admin, "GET", f"/admin/{view}/{page}/?id={row_id}")
            assert answer.status_code in (302, 404), (view, page, answer.status_code)
            assert "Rahasia" not in answer.get_data(as_text=True), (view, page)
    for export in ("/admin/order/export.csv", "/admin/customer/export.csv",
                   "/admin/products/export.csv"):
        assert "Rahasia" not in call(admin, "GET", export).get_data(as_text=True), export
    # A guessed id in a bulk action or a delete changes nothing of B's.
    before = table_counts()
    for view, row_id in ids.items():
        admin.post(f"/admin/{view}/action/", data={"action": "delete", "rowid": str(row_id)})
        admin.post(f"/admin/{view}/delete/", data={"id": str(row_id)})
    assert table_counts() == before
