"""A shop only ever sees its own cart and orders (issue 12): shop A reading or changing shop
B's cart items and orders through the pages and the API gets 404 and changes nothing; a
shop id in a body is ignored. And the two kinds of caller on /api/orders: a dealer by bearer
token, an admin by session, neither accepted by the other's endpoints."""

from __future__ import annotations

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import CartItem, Order, OrderStatus

from .conftest import COOKIE, fill_cart, open_session, part


def state(shop_b, item_id: int, order_id: str):
    """What A must not be able to change of B's: its cart line and its order."""
    db.session.expire_all()
    item = db.session.get(CartItem, item_id)
    order = db.session.get(Order, order_id)
    count = db.session.scalar(select(func.count()).select_from(Order))
    return (item.qty if item else None, order.status, count)


def test_shop_a_cannot_read_or_change_shop_bs_cart_or_orders_through_the_api(
        api, shop, other_shop, make):
    (b_item,) = fill_cart(other_shop, ("OLI-MPX2", 2))
    b_order = make.b2b_order(other_shop, items=[("BUSI-NGK", 1)])
    before = state(other_shop, b_item, b_order.id)

    answers = [
        api("PUT", f"/api/cart/item/{b_item}", json={"qty": 9}),
        api("DELETE", f"/api/cart/item/{b_item}"),
        api("GET", f"/api/orders/{b_order.id}"),
        api("POST", f"/api/orders/{b_order.id}/cancel"),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert all(a.get_json()["code"] == "not_found" for a in answers)
    assert state(other_shop, b_item, b_order.id) == before == (2, OrderStatus.PENDING, 1)
    assert api("GET", "/api/orders").get_json()["items"] == []
    assert api("GET", "/api/cart").get_json()["cart"]["items"] == []
    assert api("DELETE", "/api/cart/clear").get_json()["removed"] == 0
    assert state(other_shop, b_item, b_order.id) == before


def test_shop_a_cannot_read_or_change_shop_bs_cart_or_orders_through_the_pages(
        dealer, shop, other_shop, make):
    (b_item,) = fill_cart(other_shop, ("OLI-MPX2", 2))
    b_order = make.b2b_order(other_shop, items=[("BUSI-NGK", 1)])
    before = state(other_shop, b_item, b_order.id)

    answers = [
        dealer.post(f"/portal/cart/items/{b_item}", data={"qty": "9"}),
        dealer.post(f"/portal/cart/items/{b_item}/remove"),
        dealer.get(f"/portal/orders/{b_order.id}"),
        dealer.post(f"/portal/orders/{b_order.id}/cancel", data={"reason": "x"}),
        dealer.post(f"/portal/orders/{b_order.id}/reorder"),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert state(other_shop, b_item, b_order.id) == before
    assert b_order.number not in dealer.get("/portal/orders").get_data(as_text=True)
    dealer.post("/portal/cart/clear")
    assert state(other_shop, b_item, b_order.id) == before


def test_a_shop_id_in_a_body_is_ignored(api, shop, other_shop):
    oil = part(shop.store, "OLI-MPX2")
    added = api("POST", "/api/cart/add",
                json={"product_id": oil.id, "qty": 1, "shop_id": other_shop.id})
    assert added.status_code == 200
    placed = api("POST", "/api/cart/checkout", json={"shop_id": other_shop.id})
    assert placed.status_code == 201
    order = db.session.get(Order, placed.get_json()["order"]["id"])
    assert order.shop_id == shop.id
    assert db.session.scalar(select(func.count()).select_from(CartItem)) == 0


def test_each_token_sees_its_own_shop(api, shop, other_shop):
    b_token = open_session(other_shop)
    assert api("GET", "/api/auth/me").get_json()["shop"]["code"] == "TK001"
    assert api("GET", "/api/auth/me", token=b_token).get_json()["shop"]["code"] == "TK002"


# --- dealer by bearer token, admin by session ---------------------------------------------


def test_a_dealer_token_on_the_admin_patch_gets_401_and_changes_nothing(api, shop, make):
    placed = make.b2b_order(shop, items=[("OLI-MPX2", 1)])
    answer = api("PATCH", f"/api/orders/{placed.id}", json={"status": "CANCELLED"})
    assert answer.status_code == 401 and answer.get_json()["code"] == "unauthorized"
    db.session.expire_all()
    assert db.session.get(Order, placed.id).status == OrderStatus.PENDING


def test_an_admin_session_on_the_dealer_endpoints_gets_401(login_as, shop, make):
    placed = make.b2b_order(shop, items=[("OLI-MPX2", 1)])
    admin = login_as("super_admin")
    for method, path in (("GET", "/api/orders"), ("GET", f"/api/orders/{placed.id}"),
                         ("POST", f"/api/orders/{placed.id}/cancel"), ("GET", "/api/cart")):
        answer = admin.open(path, method=method)
        assert answer.status_code == 401, (method, path)
        assert answer.get_json()["code"] == "unauthorized"
    db.session.expire_all()
    assert db.session.get(Order, placed.id).status == OrderStatus.PENDING


def test_the_admin_patch_still_works_beside_the_dealer_endpoints(login_as, make, token):
    store = make.burger_store()
    placed = make.order(store, items=[("BRG-CHEESE", 2)])
    admin = login_as("admin", [store])
    answer = admin.patch(f"/api/orders/{placed.id}", json={"discount": "10000"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["order"]["total"] == "40000.00"
    # a dealer token beside the admin session does not turn the call into a dealer's
    both = admin.patch(f"/api/orders/{placed.id}", json={"notes": "ok"},
                       headers={"Authorization": f"Bearer {token}"})
    assert both.status_code == 200


def test_a_portal_cookie_gives_nothing_on_the_admin_api(client, make, token):
    placed = make.order(make.burger_store(), items=[("FRIES", 1)])
    client.set_cookie(COOKIE, token, path="/")
    answer = client.patch(f"/api/orders/{placed.id}", json={"discount": "1000"})
    assert answer.status_code == 401
