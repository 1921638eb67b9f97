"""The dealer JSON API of seed 004 section 6: every endpoint's answer, money as strings,
seed 004's times, and the refusals as {"success": false, "error", "code"}."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from shop import clock
from shop.extensions import db
from shop.models import LegacyState, Order, OrderStatus
from shop.services import dealer_cart
from shop.services.orders import transition
from shop.unit_of_work import commit

from .conftest import fill_cart, last_code, otp_rows, part

TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def refused(answer, status: int, code: str) -> dict:
    body = answer.get_json()
    assert answer.status_code == status, body
    assert body["success"] is False and body["code"] == code and body["error"]
    return body


# --- auth ------------------------------------------------------------------------------


def test_request_otp_answers_the_seeds_message_for_known_and_unknown_numbers(
        client, shop, hold_messages):
    known = client.post("/api/auth/request-otp", json={"phone": "0812-3456-789"})
    unknown = client.post("/api/auth/request-otp", json={"phone": "081299990000"})
    expected = {"success": True, "message": "OTP telah dikirim ke WhatsApp", "expires_in": 300}
    assert known.status_code == unknown.status_code == 200
    assert known.get_json() == unknown.get_json() == expected
    assert len(otp_rows(shop.phone)) == 1 and otp_rows("6281299990000") == []


def test_request_otp_by_shop_code_and_its_refusals(client, shop, hold_messages):
    assert client.post("/api/auth/request-otp", json={"shop_code": "TK001"}).status_code == 200
    assert len(otp_rows(shop.phone)) == 1
    refused(client.post("/api/auth/request-otp", json={"shop_code": "TK001"}), 429,
            "too_many_requests")
    refused(client.post("/api/auth/request-otp", json={}), 400, "bad_request")
    refused(client.post("/api/auth/request-otp", json={"phone": 628123}), 400, "bad_request")
    refused(client.post("/api/auth/request-otp", data="nope",
                        content_type="application/json"), 400, "bad_request")


def test_verify_otp_answers_the_seeds_token_shop_and_expiry(client, shop, hold_messages,
                                                           monkeypatch):
    start = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: start)
    client.post("/api/auth/request-otp", json={"phone": "628123456789"})

    answer = client.post("/api/auth/verify-otp",
                         json={"phone": "+62 812-3456-789", "otp": last_code(shop.phone)})

    body = answer.get_json()
    assert answer.status_code == 200 and body["success"] is True
    assert len(body["token"]) >= 40 and answer.headers["Cache-Control"] == "no-store"
    assert body["shop"] == {"id": shop.id, "code": "TK001", "name": "Toko Jaya Motor",
                            "phone": "628123456789", "address": "Jl. Raya Bogor 12",
                            "city": "Depok", "province": "Jawa Barat"}
    assert body["expires_at"] == "2026-12-08 10:00:00"  # seven days, Jakarta time
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.get_json()["shop"]["code"] == "TK001"


def test_verify_otp_by_shop_code_and_a_wrong_code(client, shop, hold_messages):
    client.post("/api/auth/request-otp", json={"shop_code": "tk001"})
    code = last_code(shop.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    refused(client.post("/api/auth/verify-otp", json={"shop_code": "TK001", "otp": wrong}),
            401, "invalid_otp")
    refused(client.post("/api/auth/verify-otp", json={"shop_code": "TK001"}), 400,
            "bad_request")
    assert client.post("/api/auth/verify-otp",
                       json={"shop_code": "TK001", "otp": code}).status_code == 200


def test_me_and_logout(api, shop):
    me = api("GET", "/api/auth/me")
    assert me.status_code == 200 and me.get_json()["shop"]["id"] == shop.id
    assert TIME.fullmatch(me.get_json()["expires_at"])

    out = api("POST", "/api/auth/logout")

    assert out.get_json() == {"success": True, "message": "Berhasil keluar"}
    refused(api("GET", "/api/auth/me"), 401, "unauthorized")
    refused(api("GET", "/api/cart"), 401, "unauthorized")


def test_calls_without_a_valid_bearer_token_answer_401_json(api, token, monkeypatch):
    for headers in ({}, {"Authorization": token}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer nope"}):
        answer = api("GET", "/api/products", token=None, headers=headers)
        refused(answer, 401, "unauthorized")
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    later = clock.now() + timedelta(days=8)
    monkeypatch.setattr(clock, "now", lambda: later)
    refused(api("GET", "/api/auth/me"), 401, "unauthorized")


def test_the_portal_cookie_does_not_sign_in_an_api_call(client, token):
    client.set_cookie("portal_session", token, path="/")
    refused(client.get("/api/cart"), 401, "unauthorized")


# --- products --------------------------------------------------------------------------


def test_products_list_with_search_category_and_pages(api, shop):
    everything = api("GET", "/api/products").get_json()
    assert everything["success"] is True
    assert [p["code"] for p in everything["items"]] == [
        "BUSI-NGK", "KAMPAS-REM", "OLI-MPX2", "OLI-SPX1"]
    assert everything["pagination"] == {"page": 1, "per_page": 20, "total": 4, "pages": 1}
    oil = api("GET", "/api/products?search=mpx2").get_json()["items"]
    assert [p["code"] for p in oil] == ["OLI-MPX2"]
    spare = api("GET", "/api/products?category=SPARE_PART&per_page=1&page=2").get_json()
    assert [p["code"] for p in spare["items"]] == ["KAMPAS-REM"]
    assert spare["pagination"] == {"page": 2, "per_page": 1, "total": 2, "pages": 2}
    limited = api("GET", "/api/products?limit=3").get_json()
    assert len(limited["items"]) == 3 and limited["pagination"]["pages"] == 2


def test_a_product_at_the_shops_price_with_its_stock(api, shop):
    oil = part(shop.store, "OLI-MPX2")
    shop.discount_percent = 10
    oil.legacy_stock, oil.stock_synced_at = 12, datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    commit()

    body = api("GET", f"/api/products/{oil.id}").get_json()

    assert body["product"] == {
        "id": oil.id, "code": "OLI-MPX2", "name": "Oli AHM MPX2 0.8L", "category": "OIL",
        "description": None, "price": "40500.00", "list_price": "45000.00", "stock": 12,
        "stock_synced_at": "2026-12-01 10:00:00", "is_ready": True}
    stock = api("GET", f"/api/products/{oil.id}/stock").get_json()
    assert stock == {"success": True, "product_id": oil.id, "code": "OLI-MPX2", "stock": 12,
                     "stock_synced_at": "2026-12-01 10:00:00", "source": "sync"}


def test_unknown_or_foreign_products_are_not_found(api, make):
    elsewhere = make.product(make.store("lain"), "X-1", "1000")
    refused(api("GET", f"/api/products/{elsewhere.id}"), 404, "not_found")
    refused(api("GET", f"/api/products/{elsewhere.id}/stock"), 404, "not_found")
    refused(api("GET", "/api/products/999999"), 404, "not_found")


# --- cart ------------------------------------------------------------------------------


def test_cart_add_change_remove_clear(api, shop):
    oil, plug = part(shop.store, "OLI-MPX2"), part(shop.store, "BUSI-NGK")
    empty = api("GET", "/api/cart").get_json()
    assert empty == {"success": True, "cart": {"items": [], "total": "0.00", "qty": 0,
                                                "can_check_out": False}}

    added = api("POST", "/api/cart/add", json={"product_id": oil.id, "qty": 2}).get_json()
    api("POST", "/api/cart/add", json={"product_id": str(plug.id), "qty": "1"})
    item_id = added["item_id"]
    (line,) = added["cart"]["items"]
    assert line == {"id": item_id, "product_id": oil.id, "code": "OLI-MPX2",
                    "name": "Oli AHM MPX2 0.8L", "category": "OIL", "qty": 2,
                    "price": "45000.00", "list_price": "45000.00", "subtotal": "90000.00",
                    "stock": None, "stock_synced_at": None, "is_active": True,
                    "over_stock": False}

    changed = api("PUT", f"/api/cart/item/{item_id}", json={"qty": 4}).get_json()
    assert (changed["cart"]["total"], changed["cart"]["qty"]) == ("198000.00", 5)
    removed = api("DELETE", f"/api/cart/item/{item_id}").get_json()
    assert [ln["code"] for ln in removed["cart"]["items"]] == ["BUSI-NGK"]
    cleared = api("DELETE", "/api/cart/clear").get_json()
    assert cleared["removed"] == 1 and cleared["cart"]["items"] == []


def test_cart_refusals_say_why_and_change_nothing(api, shop):
    oil = part(shop.store, "OLI-MPX2")
    oil.legacy_stock = 3
    commit()
    refused(api("POST", "/api/cart/add", json={"product_id": oil.id, "qty": 4}), 422,
            "invalid_input")
    refused(api("POST", "/api/cart/add", json={"product_id": oil.id, "qty": 0}), 422,
            "invalid_input")
    refused(api("POST", "/api/cart/add", json={"product_id": "abc", "qty": 1}), 404,
            "not_found")
    refused(api("POST", "/api/cart/add", json=[1, 2]), 400, "bad_request")
    refused(api("PUT", "/api/cart/item/1", json=None), 400, "bad_request")
    assert dealer_cart.view_cart(shop).lines == []


def test_checkout_places_one_order_for_one_key(api, shop):
    fill_cart(shop, ("OLI-MPX2", 2), ("BUSI-NGK", 1))
    body = {"notes": "Tolong cepat", "idempotency_key": "chk-0001-abcdef"}

    first = api("POST", "/api/cart/checkout", json=body)
    again = api("POST", "/api/cart/checkout", json=body)

    assert (first.status_code, again.status_code) == (201, 200)
    order = first.get_json()["order"]
    assert again.get_json()["order"]["id"] == order["id"]
    assert re.fullmatch(r"ORD-\d{4}-\d{6}", order["number"])
    assert (order["status"], order["total"], order["notes"], order["can_cancel"]) == (
        "PENDING", "108000.00", "Tolong cepat", True)
    assert order["items"] == [
        {"product_id": part(shop.store, "OLI-MPX2").id, "code": "OLI-MPX2",
         "name": "Oli AHM MPX2 0.8L", "qty": 2, "price": "45000.00", "discount": "0.00",
         "subtotal": "90000.00"},
        {"product_id": part(shop.store, "BUSI-NGK").id, "code": "BUSI-NGK",
         "name": "Busi NGK CPR7EA", "qty": 1, "price": "18000.00", "discount": "0.00",
         "subtotal": "18000.00"}]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert api("GET", "/api/cart").get_json()["cart"]["items"] == []


def test_an_empty_cart_cannot_be_checked_out(api):
    refused(api("POST", "/api/cart/checkout"), 422, "invalid_input")


# --- orders ----------------------------------------------------------------------------


def test_orders_list_and_detail_with_the_so_number(api, shop, make):
    older = make.b2b_order(shop, items=[("OLI-MPX2", 1)])
    newer = make.b2b_order(shop, items=[("BUSI-NGK", 2)])
    order = db.session.get(Order, newer.id)
    transition(order, OrderStatus.CONFIRMED, actor="admin:test")
    order.legacy_state, order.ref_so_number = LegacyState.SUBMITTED, "2026/000123/POD-PD"
    commit()

    listing = api("GET", "/api/orders").get_json()

    assert [o["number"] for o in listing["items"]] == [newer.number, older.number]
    assert listing["pagination"] == {"page": 1, "per_page": 20, "total": 2, "pages": 1}
    first = listing["items"][0]
    assert (first["status"], first["so_number"], first["legacy_state"], first["can_cancel"]) == (
        "CONFIRMED", "2026/000123/POD-PD", "submitted", False)
    assert "items" not in first and TIME.fullmatch(first["created_at"])
    detail = api("GET", f"/api/orders/{newer.id}").get_json()["order"]
    assert detail["so_number"] == "2026/000123/POD-PD" and detail["total"] == "36000.00"
    assert [(i["code"], i["qty"]) for i in detail["items"]] == [("BUSI-NGK", 2)]


def test_cancel_only_while_pending(api, shop, make):
    pending = make.b2b_order(shop, items=[("OLI-MPX2", 1)])
    approved = make.b2b_order(shop, items=[("OLI-MPX2", 1)])
    transition(db.session.get(Order, approved.id), OrderStatus.CONFIRMED, actor="admin:test")
    commit()

    cancelled = api("POST", f"/api/orders/{pending.id}/cancel", json={"reason": "Dobel"})
    late = api("POST", f"/api/orders/{approved.id}/cancel")

    assert cancelled.status_code == 200
    assert cancelled.get_json()["order"]["status"] == "CANCELLED"
    assert refused(late, 409, "transition_refused")["status"] == "CONFIRMED"
    again = api("POST", f"/api/orders/{pending.id}/cancel")
    refused(again, 409, "transition_refused")
    db.session.expire_all()
    assert db.session.get(Order, approved.id).status == OrderStatus.CONFIRMED


def test_a_storefront_order_id_is_not_a_dealers_order(api, make):
    placed = make.order(make.burger_store(), items=[("FRIES", 1)])
    refused(api("GET", f"/api/orders/{placed.id}"), 404, "not_found")
    refused(api("POST", f"/api/orders/{placed.id}/cancel"), 404, "not_found")


def test_the_stock_endpoint_reads_the_erp_now_and_keeps_what_it_read(api, shop):
    from zoneinfo import ZoneInfo

    from shop import clock
    from shop.models import LegacyPart, LegacyStock

    oil = part(shop.store, "OLI-MPX2")
    local = clock.now().astimezone(ZoneInfo("Asia/Jakarta"))
    db.session.add(LegacyPart(id=oil.ref_part_id, kd_part="OLI-MPX2", nm_part="Oli",
                              het=45000, min_stok=2, part_active=True))
    db.session.flush()
    db.session.add(LegacyStock(fk_part=oil.ref_part_id, qty_on_hand=30, qty_booking=5,
                               bulan=local.month, tahun=local.year))
    oil.legacy_stock = 99  # what an older sync had read
    db.session.commit()

    stock = api("GET", f"/api/products/{oil.id}/stock").get_json()

    assert (stock["stock"], stock["source"]) == (23, "erp")  # 30 on hand - 5 booked - 2 kept
    db.session.expire_all()
    assert part(shop.store, "OLI-MPX2").legacy_stock == 23


def test_the_stock_endpoint_answers_the_synced_stock_when_the_erp_fails(api, shop):
    from sqlalchemy import text

    oil = part(shop.store, "OLI-MPX2")
    oil.legacy_stock, oil.stock_synced_at = 12, datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    db.session.commit()
    # The ERP's stock table gone (rolled back with the test): its read fails.
    db.session.connection(bind_arguments={"bind": db.engines["legacy"]}).execute(
        text("DROP TABLE tblstock_part_id"))

    stock = api("GET", f"/api/products/{oil.id}/stock").get_json()

    assert (stock["success"], stock["stock"], stock["source"]) == (True, 12, "sync")
    assert stock["stock_synced_at"] == "2026-12-01 10:00:00"
