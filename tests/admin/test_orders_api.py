"""PATCH /api/orders/<id> (seed 000): an admin edits an order through JSON."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Order, OrderEvent, OrderStatus
from shop.services.orders import transition


def seed_order(make, store):
    """The seed's order: 2x Burger Cheese Rp 25.000 and 1x French Fries Rp 15.000."""
    return make.order(store, items=[("BRG-CHEESE", 2), ("FRIES", 1)])


def row(order_id: str) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def test_discount_story_total_becomes_55000_and_tracking_shows_it(login_as, burger, make,
                                                                   client):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])

    answer = admin.patch(f"/api/orders/{placed.id}", json={"discount": "10000"})

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["success"] is True
    assert (body["order"]["subtotal"], body["order"]["discount"], body["order"]["total"]) == (
        "65000.00", "10000.00", "55000.00")
    assert "Rp 55.000" in client.get(f"/track/{placed.id}").get_data(as_text=True)
    edit = db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == placed.id, OrderEvent.kind == "edited")).one()
    assert edit.data["discount"] == ["0.00", "10000.00"]
    assert edit.actor == f"admin:{admin.admin.email}"


def test_items_status_and_payment_in_one_call(login_as, burger, make):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])

    answer = admin.patch(f"/api/orders/{placed.id}", json={
        "items": [{"code": "BRG-CHEESE", "qty": 1}, {"code": "COLA", "qty": 2, "discount": "1000"}],
        "address": "Jl. Baru 9", "status": "PROCESSING", "note": "Diproses dapur",
        "payment_status": "PAID"})

    assert answer.status_code == 200, answer.get_json()
    order = answer.get_json()["order"]
    assert [(i["code"], i["qty"], i["subtotal"]) for i in order["items"]] == [
        ("BRG-CHEESE", 1, "25000.00"), ("COLA", 2, "15000.00")]
    assert (order["total"], order["status"], order["payment_status"], order["address"]) == (
        "40000.00", "PROCESSING", "PAID", "Jl. Baru 9")
    assert order["allowed_statuses"] == ["SHIPPED", "COMPLETED", "CANCELLED"]


def test_refused_transition_names_the_allowed_ones_and_changes_nothing(login_as, burger, make):
    placed = seed_order(make, burger)
    order = db.session.get(Order, placed.id)
    for status in ("PROCESSING", "COMPLETED"):
        transition(order, status, actor="test")
    db.session.commit()
    admin = login_as("admin", [burger])

    answer = admin.patch(f"/api/orders/{placed.id}",
                         json={"admin_notes": "dibuka lagi", "status": "PENDING"})

    assert answer.status_code == 409
    body = answer.get_json()
    assert body["success"] is False and body["code"] == "transition_refused"
    assert body["allowed"] == ["REFUNDED"]
    assert (row(placed.id).status, row(placed.id).admin_notes) == (OrderStatus.COMPLETED, None)


@pytest.mark.parametrize("change, field", [
    ({"number": "ORD-1"}, "number"), ({"id": "cx"}, "id"), ({"store_id": 2}, "store_id"),
    ({"created_at": "2020-01-01"}, "created_at"), ({"total": "1"}, "total"),
])
def test_immutable_and_unknown_fields_are_refused(login_as, burger, make, change, field):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])
    events = db.session.scalar(select(func.count()).select_from(OrderEvent))

    answer = admin.patch(f"/api/orders/{placed.id}", json={"discount": "1000", **change})

    assert answer.status_code == 422
    assert field in answer.get_json()["fields"]
    assert answer.get_json()["allowed"] == ["CONFIRMED", "PROCESSING", "CANCELLED", "REJECTED"]
    assert row(placed.id).discount == 0
    assert db.session.scalar(select(func.count()).select_from(OrderEvent)) == events


@pytest.mark.parametrize("body", [[], "x", None, {"discount": "-5"}, {"discount": "70000"},
                                  {"items": "COLA"}, {"status": "TERBANG"}, {}])
def test_bad_bodies_are_4xx_and_change_nothing(login_as, burger, make, body):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])
    answer = admin.patch(f"/api/orders/{placed.id}", json=body)
    assert 400 <= answer.status_code < 500
    assert answer.get_json()["success"] is False
    assert (row(placed.id).total, row(placed.id).status) == (65000, OrderStatus.PENDING)


def test_another_stores_order_is_not_found(login_as, burger, make):
    placed = seed_order(make, burger)
    other = make.store("lain")
    admin = login_as("admin", [other])
    answer = admin.patch(f"/api/orders/{placed.id}", json={"discount": "1000"})
    assert answer.status_code == 404
    assert "allowed" not in answer.get_json()
    assert row(placed.id).discount == 0


def test_super_admin_edits_any_store(login_as, burger, make):
    placed = seed_order(make, burger)
    boss = login_as("super_admin")
    assert boss.patch(f"/api/orders/{placed.id}", json={"notes": "ok"}).status_code == 200


def test_anonymous_call_gets_401_json_not_a_redirect(client, burger, make):
    placed = seed_order(make, burger)
    answer = client.patch(f"/api/orders/{placed.id}", json={"discount": "1000"})
    assert answer.status_code == 401
    assert answer.get_json()["code"] == "unauthorized"


def test_csrf_header_is_required_under_the_admin_login(app, login_as, burger, make):
    placed = seed_order(make, burger)
    admin = login_as("admin", [burger])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = admin.patch(f"/api/orders/{placed.id}", json={"discount": "1000"})
        assert refused.status_code == 400 and refused.get_json()["code"] == "csrf"
        assert row(placed.id).discount == 0

        page = admin.get("/admin/").get_data(as_text=True)
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        accepted = admin.patch(f"/api/orders/{placed.id}", json={"discount": "1000"},
                               headers={"X-CSRFToken": token})
        assert accepted.status_code == 200, accepted.get_json()
        assert row(placed.id).discount == 1000
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

