"""Seed 003's customer JSON API (and seed 000's PATCH /api/customers/<id>) behind the admin
login: the seed's shapes, store scoping, refusals that change nothing, CSRF."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Customer, CustomerStatus, CustomerType, MembershipLevel, Order

from .customer_helpers import csrf_of, signed_in

CRUD = "/api/customers/crud"


@pytest.fixture
def shops(two_stores, make):
    """Store A with Ani (VIP, Gold) and Budi, store B with Beni."""
    a, b = two_stores
    ani = make.customer(a, "6281200000001", name="Ani Lestari", email="ani@toko.co.id",
                        type=CustomerType.VIP, membership_level=MembershipLevel.GOLD,
                        total_spent=Decimal("5000000"), total_purchases=25, points=500)
    budi = make.customer(a, "6281234567890", name="Budi Santoso",
                         total_spent=Decimal("1000000.50"))
    beni = make.customer(b, "6281299990000", name="Beni Toko B")
    return a, b, ani, budi, beni


def count_customers() -> int:
    return db.session.execute(select(func.count()).select_from(Customer)).scalar()


@pytest.mark.parametrize("method, path", [
    ("get", CRUD), ("post", CRUD), ("put", CRUD + "?id=1"), ("delete", CRUD + "?id=1"),
    ("get", "/api/customers/stats"), ("get", "/api/customers/1"),
    ("patch", "/api/customers/1"),
])
def test_anonymous_calls_answer_401_json_not_a_login_page(client, method, path):
    answer = getattr(client, method)(path, json={})
    assert answer.status_code == 401
    assert answer.get_json() == {"success": False, "error": "Silakan masuk sebagai admin.",
                                 "code": "unauthorized"}


def test_list_has_the_seeds_shape_with_money_as_strings(login_as, shops):
    a, _, ani, budi, _ = shops
    answer = signed_in(login_as, "admin", [a]).get(CRUD)
    assert answer.status_code == 200
    data = answer.get_json()["data"]
    assert [c["name"] for c in data["customers"]] == ["Budi Santoso", "Ani Lestari"]
    first = data["customers"][1]
    assert {k: first[k] for k in ("id", "phone", "type", "status", "membershipLevel", "points",
                                  "discount", "totalPurchases", "totalSpent", "lastVisit")} == {
        "id": ani.id, "phone": "6281200000001", "type": "vip", "status": "active",
        "membershipLevel": "Gold", "points": 500, "discount": "5.00", "totalPurchases": 25,
        "totalSpent": "5000000.00", "lastVisit": None}
    assert data["pagination"] == {"total": 2, "page": 1, "limit": 10, "totalPages": 1}
    # (5.000.000 + 1.000.000,50) / 2 = 3.000.000,25; Beni of store B counts nowhere here.
    assert data["stats"] == {"totalCustomers": 2, "activeCustomers": 2, "vipCustomers": 1,
                             "avgLifetimeValue": "3000000.25"}


def test_list_filters_searches_and_pages(login_as, shops):
    a, *_ = shops
    client = signed_in(login_as, "admin", [a])

    def names(query: str) -> list[str]:
        return [c["name"] for c in client.get(CRUD + query).get_json()["data"]["customers"]]

    assert names("?type=vip") == ["Ani Lestari"]
    assert names("?membershipLevel=Gold&status=active") == ["Ani Lestari"]
    assert names("?search=0812-3456-7890") == ["Budi Santoso"]
    assert names("?page=2&limit=1") == ["Ani Lestari"]
    paged = client.get(CRUD + "?page=2&limit=1").get_json()["data"]["pagination"]
    assert paged == {"total": 2, "page": 2, "limit": 1, "totalPages": 2}


@pytest.mark.parametrize("query, field", [
    ("?type=boss", "type"), ("?membershipLevel=Diamond", "membershipLevel"),
    ("?page=abc", "page"), ("?limit=1000", "limit"), ("?page=0", "page"),
    ("?search=a%00b", "search"), ("?storeId=toko-b", "storeId"),
])
def test_bad_list_parameters_answer_4xx_with_the_field(login_as, shops, query, field):
    a, *_ = shops
    answer = signed_in(login_as, "admin", [a]).get(CRUD + query)
    assert 400 <= answer.status_code < 500
    assert field in answer.get_json()["fields"]


def test_create_answers_201_with_the_customer_and_initialised_stats(login_as, shops):
    a, *_ = shops
    answer = signed_in(login_as, "admin", [a]).post(CRUD, json={
        "name": "Jane Smith", "phone": "081234567891", "email": "jane@toko.co.id",
        "address": "Jl. Sudirman No. 123", "city": "Jakarta", "province": "DKI Jakarta",
        "postalCode": "12190", "type": "member", "membershipLevel": "Silver", "discount": 10,
        "birthDate": "1990-05-15", "gender": "female", "notes": "VIP customer"})
    assert answer.status_code == 201
    data = answer.get_json()["data"]
    assert answer.get_json()["message"] == "Pelanggan berhasil dibuat."
    assert (data["storeId"], data["phone"], data["postalCode"], data["birthDate"]) == (
        a.id, "6281234567891", "12190", "1990-05-15")
    assert (data["points"], data["totalPurchases"], data["totalSpent"], data["discount"]) == (
        0, 0, "0.00", "10.00")


@pytest.mark.parametrize("payload, status, fields", [
    ({"name": "X", "phone": "+62 812 3456 7890"}, 409, {"phone"}),
    ({"name": "X", "phone": "081277770000", "email": "ANI@toko.co.id"}, 409, {"email"}),
    ({"name": "", "phone": "12"}, 422, {"name", "phone"}),
    ({"name": "X", "phone": "081277770000", "postalCode": 12190, "membershipLevel": "Gold!"},
     422, {"postalCode", "membershipLevel"}),
    ({"name": "X", "phone": "081277770000", "totalSpent": "99999999"}, 422, {"totalSpent"}),
    ({"name": "X", "phone": "081277770000", "isAdmin": True}, 422, {"isAdmin"}),
])
def test_refused_creations_name_the_fields_and_write_nothing(login_as, shops, payload, status,
                                                             fields):
    a, *_ = shops
    before = count_customers()
    answer = signed_in(login_as, "admin", [a]).post(CRUD, json=payload)
    assert answer.status_code == status
    assert set(answer.get_json()["fields"]) == fields
    assert count_customers() == before


def test_a_body_that_is_not_an_object_is_a_400(login_as, shops):
    a, *_ = shops
    client = signed_in(login_as, "admin", [a])
    assert client.post(CRUD, json=["name"]).status_code == 400
    assert client.post(CRUD, data="{", content_type="application/json").status_code == 400


def test_an_admin_of_several_stores_names_the_store_among_its_own(login_as, shops, make):
    a, b, *_ = shops
    c = make.store("toko-c")
    client = signed_in(login_as, "admin", [a, c])
    person = {"name": "Multi", "phone": "081277770000"}
    missing = client.post(CRUD, json=person)
    assert missing.status_code == 422 and "storeId" in missing.get_json()["fields"]
    assert client.post(CRUD, json={**person, "storeId": "toko-b"}).status_code == 404
    assert client.post(CRUD, json={**person, "storeId": b.id}).status_code == 404
    made = client.post(CRUD, json={**person, "storeId": "toko-c"})
    assert made.status_code == 201 and made.get_json()["data"]["storeId"] == c.id


def test_put_updates_the_given_fields_and_refuses_another_stores_customer(login_as, shops):
    a, _, ani, _, beni = shops
    client = signed_in(login_as, "admin", [a])
    answer = client.put(CRUD + f"?id={ani.id}", json={
        "name": "Ani Updated", "phone": "081200000001", "status": "active",
        "membershipLevel": "Platinum", "discount": 20})
    assert answer.status_code == 200
    assert answer.get_json()["data"]["membershipLevel"] == "Platinum"
    assert client.put(CRUD + f"?id={beni.id}", json={"name": "Hacked"}).status_code == 404
    assert client.put(CRUD, json={"name": "?"}).get_json()["fields"] == {"id": "Wajib diisi."}
    assert client.put(CRUD + "?id=abc", json={"name": "?"}).status_code == 422
    db.session.expire_all()
    assert db.session.get(Customer, beni.id).name == "Beni Toko B"


def test_put_with_a_taken_phone_changes_nothing(login_as, shops):
    a, _, ani, budi, _ = shops
    answer = signed_in(login_as, "admin", [a]).put(CRUD + f"?id={ani.id}", json={
        "name": "Ani Baru", "phone": "0812-3456-7890"})
    assert answer.status_code == 409 and set(answer.get_json()["fields"]) == {"phone"}
    db.session.expire_all()
    assert db.session.get(Customer, ani.id).name == "Ani Lestari"


def test_delete_is_the_soft_delete_and_only_in_the_admins_stores(login_as, shops):
    a, _, ani, _, beni = shops
    client = signed_in(login_as, "admin", [a])
    answer = client.delete(CRUD + f"?id={ani.id}")
    assert answer.get_json() == {"success": True, "message": "Pelanggan berhasil dihapus."}
    assert client.delete(CRUD + f"?id={beni.id}").status_code == 404
    db.session.expire_all()
    row = db.session.get(Customer, ani.id)
    assert (row.is_active, row.status) == (False, CustomerStatus.INACTIVE)
    assert db.session.get(Customer, beni.id).is_active
    names = [c["name"] for c in client.get(CRUD).get_json()["data"]["customers"]]
    assert names == ["Budi Santoso"]
    everyone = client.get(CRUD + "?includeDeleted=1").get_json()["data"]["customers"]
    assert len(everyone) == 2


def test_stats_answer_the_seeds_overview(login_as, shops):
    a, *_ = shops
    data = signed_in(login_as, "admin", [a]).get("/api/customers/stats").get_json()["data"]
    assert data["overview"]["totalCustomers"] == 2
    assert data["overview"]["totalRevenue"] == "6000000.50"
    assert data["overview"]["avgPurchases"] == 12.5  # (25 + 0) / 2
    assert {row["level"]: row["count"] for row in data["customersByLevel"]} == {
        "Bronze": 1, "Silver": 0, "Gold": 1, "Platinum": 0}
    assert data["topCustomers"][0] == {"id": data["topCustomers"][0]["id"],
                                       "name": "Ani Lestari", "totalSpent": "5000000.00",
                                       "totalPurchases": 25, "membershipLevel": "Gold"}
    assert {c["name"] for c in data["recentCustomers"]} == {"Ani Lestari", "Budi Santoso"}


def test_super_admin_sees_every_store(login_as, shops):
    data = signed_in(login_as, "super_admin").get("/api/customers/stats").get_json()["data"]
    assert data["overview"]["totalCustomers"] == 3


def test_detail_has_purchase_stats_recent_orders_top_products_and_twelve_months(login_as,
                                                                                shops, make):
    from shop.services.orders import set_payment_status, transition

    a, _, _, _, beni = shops
    placed = make.order(a, [("A-1", 2)], phone="081234567890")
    order = db.session.get(Order, placed.id)
    for status in ("PROCESSING", "COMPLETED"):
        transition(order, status, actor="admin:test")
    set_payment_status(order, "PAID", actor="admin:test")
    db.session.commit()
    client = signed_in(login_as, "admin", [a])
    data = client.get(f"/api/customers/{placed.customer.id}").get_json()["data"]
    assert data["customer"]["name"] == "Budi Santoso"
    assert data["purchaseStats"]["totalTransactions"] == 1
    assert data["purchaseStats"]["totalSpent"] == data["purchaseStats"][
        "averageOrderValue"] == "130000.00"
    assert data["purchaseStats"]["lastPurchaseDate"].endswith("Z")
    transaction = data["recentTransactions"][0]
    assert (transaction["transactionNumber"], transaction["total"]) == (placed.number,
                                                                        "130000.00")
    assert transaction["items"][0] == {"code": "A-1", "name": "Produk A", "qty": 2,
                                       "unitPrice": "65000.00", "discount": "0.00",
                                       "subtotal": "130000.00"}
    assert data["topProducts"][0]["productName"] == "Produk A"
    assert data["topProducts"][0]["totalQuantity"] == 2
    assert len(data["monthlySpending"]) == 12
    assert data["monthlySpending"][-1]["totalSpent"] == "130000.00"
    missing = client.get(f"/api/customers/{beni.id}")
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"
    assert client.get("/api/customers/99999999999999").status_code == 404


def test_patch_copies_a_new_address_to_the_unshipped_orders(login_as, shops, make):
    from shop.services.orders import transition

    a, *_ = shops
    pending = make.order(a, [("A-1", 1)], phone="081234567890")
    shipped = make.order(a, [("A-1", 1)], phone="081234567890")
    order = db.session.get(Order, shipped.id)
    transition(order, "PROCESSING", actor="admin:test")
    transition(order, "SHIPPED", actor="admin:test")
    db.session.commit()
    answer = signed_in(login_as, "admin", [a]).patch(f"/api/customers/{pending.customer.id}",
                                          json={"address": "Jl. Pindah 7", "notes": "Baru"})
    assert answer.status_code == 200
    assert answer.get_json()["customer"]["address"] == "Jl. Pindah 7"
    assert answer.get_json()["updatedOrders"] == [{"id": pending.id, "number": pending.number}]
    db.session.expire_all()
    assert db.session.get(Order, pending.id).shipping_address == "Jl. Pindah 7"
    assert db.session.get(Order, shipped.id).shipping_address == "Jl. Sudirman 123"


def test_a_refused_patch_changes_neither_customer_nor_orders(login_as, shops, make):
    a, _, _, _, beni = shops
    pending = make.order(a, [("A-1", 1)], phone="081234567890")
    client = signed_in(login_as, "admin", [a])
    answer = client.patch(f"/api/customers/{pending.customer.id}",
                          json={"address": "Jl. Lain", "email": "bukan email"})
    assert answer.status_code == 422 and set(answer.get_json()["fields"]) == {"email"}
    assert client.patch(f"/api/customers/{beni.id}", json={"name": "X"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Order, pending.id).shipping_address == "Jl. Sudirman 123"
    assert db.session.get(Customer, pending.customer.id).address == "Jl. Sudirman 123"


def test_every_write_needs_the_csrf_header(app, login_as, shops):
    a, _, ani, budi, _ = shops
    client = signed_in(login_as, "admin", [a])
    writes = [
        ("post", CRUD, {"name": "Csrf", "phone": "081277770000"}, 201),
        ("put", CRUD + f"?id={ani.id}", {"notes": "csrf"}, 200),
        ("patch", f"/api/customers/{ani.id}", {"notes": "csrf 2"}, 200),
        ("delete", CRUD + f"?id={budi.id}", None, 200),
    ]
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        token = csrf_of(client)
        for method, path, payload, status in writes:
            refused = getattr(client, method)(path, json=payload)
            assert refused.status_code == 400 and refused.get_json()["code"] == "csrf", path
            accepted = getattr(client, method)(path, json=payload,
                                               headers={"X-CSRFToken": token})
            assert accepted.status_code == status, (path, accepted.get_json())
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert db.session.execute(select(Customer.notes).where(Customer.id == ani.id)).scalar() \
        == "csrf 2"
