"""The admin's JSON API of seed 004 section 6 (issue 12, items 4 and 5): dashboard counts,
the order list with filters and pages, approve and reject; behind the admin's session and
CSRF header, inside the admin's stores (another store's order is 404 and stays as it was),
a refused decision is 409 with the statuses still allowed, reject needs a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop import clock
from shop.extensions import db
from shop.models import LegacyState, Notification, Order, OrderStatus

from .backoffice import csrf_enabled, csrf_token


@pytest.fixture
def pmo(make):
    """The distributor with Toko Jaya Motor (TK001) and its PENDING order."""
    store = make.distributor_store()
    shop = make.dealer_shop(store)
    return store, shop, make.b2b_order(shop, items=[("OLI-MPX2", 2)])


def fresh(order_id: str) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def snapshot(order_id: str) -> tuple:
    order = fresh(order_id)
    messages = db.session.scalar(select(func.count()).where(Notification.order_id == order_id))
    return (order.status, order.approved_at, order.legacy_state, order.ref_so_number, messages)


def legacy_jobs(redis_client) -> list:
    from rq import Queue

    return Queue("legacy", connection=redis_client).jobs


def test_anonymous_calls_get_401_json(client, pmo):
    _store, _shop, placed = pmo
    calls = [("get", "/api/admin/dashboard"), ("get", "/api/admin/orders"),
             ("put", f"/api/admin/orders/{placed.id}/approve"),
             ("put", f"/api/admin/orders/{placed.id}/reject")]
    for method, url in calls:
        answer = getattr(client, method)(url, json={"reason": "x"})
        assert answer.status_code == 401, url
        assert answer.get_json() == {"success": False, "code": "unauthorized",
                                     "error": "Silakan masuk sebagai admin."}
    assert fresh(placed.id).status == OrderStatus.PENDING


def test_approve_answers_the_order_with_its_legacy_state_queued(login_as, pmo, on_redis):
    store, shop, placed = pmo
    admin = login_as("admin", [store])

    answer = admin.put(f"/api/admin/orders/{placed.id}/approve")

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["success"] is True
    order = body["order"]
    assert (order["id"], order["number"], order["status"], order["legacy_state"]) == (
        placed.id, placed.number, "CONFIRMED", "queued")
    assert order["shop"] == {"id": shop.id, "code": "TK001", "name": "Toko Jaya Motor"}
    assert order["total"] == "90000.00" and order["approved_at"].endswith("Z")
    assert [j.args for j in legacy_jobs(on_redis)] == [(placed.id,)]
    assert fresh(placed.id).legacy_state == LegacyState.QUEUED


def test_approve_in_the_embedded_default_answers_the_so_number(login_as, pmo):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])

    order = admin.put(f"/api/admin/orders/{placed.id}/approve").get_json()["order"]

    assert order["legacy_state"] == "submitted"
    assert order["ref_so_number"] == fresh(placed.id).ref_so_number is not None


def test_approving_an_approved_order_is_409_with_the_allowed_statuses(login_as, pmo, on_redis):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])
    admin.put(f"/api/admin/orders/{placed.id}/approve")
    before = snapshot(placed.id)

    answer = admin.put(f"/api/admin/orders/{placed.id}/approve")

    assert answer.status_code == 409
    body = answer.get_json()
    assert (body["success"], body["code"], body["status"]) == (
        False, "transition_refused", "CONFIRMED")
    assert body["allowed_statuses"] == ["PROCESSING", "CANCELLED"]
    assert snapshot(placed.id) == before
    assert len(legacy_jobs(on_redis)) == 1


def test_reject_without_a_reason_is_422_and_changes_nothing(login_as, pmo):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])
    before = snapshot(placed.id)

    for body in ({}, {"reason": ""}, {"reason": "   "}, None):
        answer = admin.put(f"/api/admin/orders/{placed.id}/reject", json=body)
        assert answer.status_code == 422, body
        assert answer.get_json()["code"] == "invalid_input"
        assert "reason" in answer.get_json()["fields"]
    assert admin.put(f"/api/admin/orders/{placed.id}/reject",
                     json={"reason": 5}).status_code == 422

    assert snapshot(placed.id) == before


def test_reject_with_a_reason_queues_the_shops_whatsapp(login_as, pmo):
    store, shop, placed = pmo
    admin = login_as("admin", [store])

    answer = admin.put(f"/api/admin/orders/{placed.id}/reject",
                       json={"reason": "Stock tidak tersedia"})

    assert answer.status_code == 200
    order = answer.get_json()["order"]
    assert (order["status"], order["legacy_state"], order["allowed_statuses"]) == (
        "REJECTED", "not_sent", [])
    message = db.session.scalars(select(Notification).where(
        Notification.order_id == placed.id, Notification.template == "b2b_order_rejected")).one()
    assert (message.recipient, message.data["reason"]) == (shop.phone, "Stock tidak tersedia")


def test_another_stores_order_is_404_and_stays_as_it_was(login_as, make, pmo, on_redis):
    _store, _shop, placed = pmo
    stranger = login_as("admin", [make.store("toko-lain", name="Toko Lain")])
    before = snapshot(placed.id)

    approve = stranger.put(f"/api/admin/orders/{placed.id}/approve")
    reject = stranger.put(f"/api/admin/orders/{placed.id}/reject", json={"reason": "x"})
    unknown = stranger.put("/api/admin/orders/not-an-id/approve")

    for answer in (approve, reject, unknown):
        assert answer.status_code == 404
        assert answer.get_json()["code"] == "not_found"
    assert snapshot(placed.id) == before
    assert legacy_jobs(on_redis) == []
    assert stranger.get("/api/admin/orders").get_json()["total"] == 0


def test_a_storefront_order_is_not_approved_here(login_as, make):
    store = make.store()
    placed = make.order(store)
    admin = login_as("admin", [store])

    answer = admin.put(f"/api/admin/orders/{placed.id}/approve")

    assert answer.status_code == 409
    assert fresh(placed.id).status == OrderStatus.PENDING


def test_orders_list_filters_by_status_channel_and_shop(login_as, make, pmo):
    store, shop, placed = pmo
    other_shop = make.dealer_shop(store, code="TK002", phone="628129999999", name="Toko Dua")
    theirs = make.b2b_order(other_shop, items=[("BUSI-NGK", 1)])
    walk_in = make.order(store, items=[("BUSI-NGK", 1)])
    admin = login_as("admin", [store])
    admin.put(f"/api/admin/orders/{theirs.id}/reject", json={"reason": "Habis"})

    def numbers(query: str) -> list[str]:
        answer = admin.get("/api/admin/orders" + query)
        assert answer.status_code == 200, answer.get_json()
        return [o["number"] for o in answer.get_json()["orders"]]

    assert set(numbers("")) == {placed.number, theirs.number, walk_in.number}
    assert set(numbers("?channel=b2b")) == {placed.number, theirs.number}
    assert numbers("?channel=b2b&status=PENDING") == [placed.number]
    assert numbers(f"?shop={other_shop.id}") == [theirs.number]
    row = admin.get(f"/api/admin/orders?shop={shop.id}").get_json()["orders"][0]
    assert row["shop"] == {"id": shop.id, "code": "TK001", "name": "Toko Jaya Motor"}
    assert (row["legacy_state"], row["total"]) == ("not_sent", "90000.00")
    store_row = admin.get("/api/admin/orders?channel=storefront").get_json()["orders"][0]
    assert store_row["shop"] is None and store_row["legacy_state"] is None


def test_orders_list_pages(login_as, make, pmo):
    store, shop, _placed = pmo
    for _ in range(26):
        make.b2b_order(shop, items=[("BUSI-NGK", 1)])
    admin = login_as("admin", [store])

    first = admin.get("/api/admin/orders?per_page=25").get_json()
    second = admin.get("/api/admin/orders?per_page=25&page=2").get_json()

    assert (first["total"], first["pages"], len(first["orders"])) == (27, 2, 25)
    assert (second["page"], len(second["orders"])) == (2, 2)
    assert not {o["id"] for o in first["orders"]} & {o["id"] for o in second["orders"]}


@pytest.mark.parametrize("query", ["?status=DIKIRIM", "?channel=fax", "?shop=abc",
                                   "?per_page=7", "?page=-1", "?legacy_state=lost"])
def test_orders_list_refuses_filters_it_does_not_know(login_as, pmo, query):
    store, _shop, _placed = pmo
    admin = login_as("admin", [store])

    answer = admin.get("/api/admin/orders" + query)

    assert answer.status_code == 422
    assert answer.get_json()["code"] == "invalid_input"


def test_dashboard_counts_the_admins_stores_only(login_as, make, pmo, on_redis):
    store, shop, placed = pmo
    make.b2b_order(shop, items=[("BUSI-NGK", 1)])  # still waiting
    failed = make.b2b_order(shop, items=[("KAMPAS-REM", 1)])
    rejected = make.b2b_order(shop, items=[("OLI-SPX1", 1)])
    other = make.distributor_store("pmo-lain")
    theirs = make.dealer_shop(other, code="TK900", phone="628120000900")
    make.b2b_order(theirs, items=[("OLI-MPX2", 1)])  # another store's: not counted
    admin = login_as("admin", [store])
    for order_id in (failed.id, placed.id):
        admin.put(f"/api/admin/orders/{order_id}/approve")
    admin.put(f"/api/admin/orders/{rejected.id}/reject", json={"reason": "Habis"})
    order = db.session.get(Order, failed.id)  # approved yesterday, its submission failed
    order.approved_at = clock.now() - timedelta(days=1)
    order.legacy_state, order.legacy_error = LegacyState.FAILED, "timeout"
    db.session.commit()

    body = admin.get("/api/admin/dashboard").get_json()

    assert body["success"] is True
    assert {k: body[k] for k in ("pending_b2b", "approved_today", "queued", "submitted",
                                 "failed", "rejected", "not_sent", "total_b2b", "shops",
                                 "active_shops")} == {
        "pending_b2b": 1, "approved_today": 1, "queued": 1, "submitted": 0, "failed": 1,
        "rejected": 1, "not_sent": 2, "total_b2b": 4, "shops": 1, "active_shops": 1}


def test_decisions_need_the_csrf_header(app, login_as, pmo):
    store, _shop, placed = pmo
    admin = login_as("admin", [store])
    with csrf_enabled(app):
        refused = admin.put(f"/api/admin/orders/{placed.id}/reject", json={"reason": "Habis"})
        assert fresh(placed.id).status == OrderStatus.PENDING
        token = csrf_token(admin)
        accepted = admin.put(f"/api/admin/orders/{placed.id}/reject", json={"reason": "Habis"},
                             headers={"X-CSRFToken": token})

    assert refused.status_code == 400 and refused.get_json()["code"] == "csrf"
    assert accepted.status_code == 200
    assert fresh(placed.id).status == OrderStatus.REJECTED
